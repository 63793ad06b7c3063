"""Every setting a service reads is listed in .env.example, and nothing there is made up."""

import re
from pathlib import Path

from pydantic_settings import BaseSettings

from deploy.bootstrap import BootstrapSettings
from deploy.mail_catcher import MailCatcherSettings
from services.api.settings import ApiSettings
from services.notifier.settings import NotifierSettings
from services.runner.settings import RunnerSettings
from services.scheduler.settings import SchedulerSettings

ENV_EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"
SETTINGS: list[type[BaseSettings]] = [
    ApiSettings,
    SchedulerSettings,
    RunnerSettings,
    NotifierSettings,
    MailCatcherSettings,
    BootstrapSettings,
]
# Knobs that exist for the test suite (a fast clock, replicas without leader election).
TEST_ONLY = {"SCHEDULER_CLOCK_SPEED", "SCHEDULER_CLOCK_EPOCH", "SCHEDULER_LEADER_ELECTION"}


def _documented() -> set[str]:
    pattern = re.compile(r"^#?\s*([A-Z][A-Z0-9_]+)=", re.MULTILINE)
    return set(pattern.findall(ENV_EXAMPLE.read_text()))


def _read_by_services() -> set[str]:
    return {name.upper() for settings in SETTINGS for name in settings.model_fields}


def test_every_setting_is_in_the_example_env_file() -> None:
    assert _read_by_services() - TEST_ONLY - _documented() == set()


def test_the_example_env_file_names_only_real_settings() -> None:
    assert _documented() - _read_by_services() == set()
