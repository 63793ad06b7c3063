"""Every setting a service reads is listed in .env.example, and nothing there is made up;
the scheduler's test-only knobs are named as such and kept out of it."""

import re
from pathlib import Path

from pydantic_settings import BaseSettings

from deploy.bootstrap import BootstrapSettings
from deploy.mail_catcher import MailCatcherSettings
from services.api.settings import ApiSettings
from services.notifier.settings import NotifierSettings
from services.runner.settings import RunnerSettings
from services.scheduler.settings import SchedulerSettings
from services.scheduler.simulation import SchedulerSimulationSettings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = PROJECT_ROOT / ".env.example"
README = PROJECT_ROOT / "README.md"
SETTINGS: list[type[BaseSettings]] = [
    ApiSettings,
    SchedulerSettings,
    RunnerSettings,
    NotifierSettings,
    MailCatcherSettings,
    BootstrapSettings,
]
SIMULATION_PREFIX = "SCHEDULER_SIMULATION_"


def _documented() -> set[str]:
    pattern = re.compile(r"^#?\s*([A-Z][A-Z0-9_]+)=", re.MULTILINE)
    return set(pattern.findall(ENV_EXAMPLE.read_text()))


def _read_by_services() -> set[str]:
    return {name.upper() for settings in SETTINGS for name in settings.model_fields}


def test_every_setting_is_in_the_example_env_file() -> None:
    assert _read_by_services() - _documented() == set()


def test_the_example_env_file_names_only_real_settings() -> None:
    assert _documented() - _read_by_services() == set()


def test_simulation_knobs_say_they_are_test_only_and_stay_out_of_the_example() -> None:
    simulation = {
        f"{SchedulerSimulationSettings.model_config.get('env_prefix', '')}{name}".upper()
        for name in SchedulerSimulationSettings.model_fields
    }
    assert all(name.startswith(SIMULATION_PREFIX) for name in simulation)
    assert simulation & (_documented() | _read_by_services()) == set()
    assert f"{SIMULATION_PREFIX}*" in README.read_text()
