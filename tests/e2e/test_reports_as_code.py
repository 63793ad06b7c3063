"""`reportflow export` and `reportflow apply` against the real API process."""

import uuid
from pathlib import Path

import httpx
import pytest

from tests.support.accounts import ADMIN_TOKEN, bearer
from tests.support.command_line import CommandLine

EXIT_API_ERROR = 2


@pytest.fixture
def prefix() -> str:
    """Names of this test's own, so --prune and the listings see only its reports."""
    return f"Code {uuid.uuid4().hex[:6]}"


def reports_named(api_url: str, prefix: str) -> dict[str, dict[str, object]]:
    with httpx.Client(base_url=api_url, headers=bearer(ADMIN_TOKEN)) as client:
        reports = client.get("/api/reports").json()
    return {report["name"]: report for report in reports if report["name"].startswith(prefix)}


def reports_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "reports.yaml"
    path.write_text(text)
    return path


def two_reports(prefix: str) -> str:
    return f"""\
reports:
  - name: {prefix} daily users
    description: Users signed up, per day
    sql_query: |
      SELECT 1 AS users
    schedule_cron: "0 8 * * *"
    timezone: Europe/Berlin
    recipients: [ops@Example.COM]
  - name: {prefix} revenue
    sql_query: SELECT 2 AS revenue
    output_format: JSONL
"""


def test_apply_creates_the_reports_and_a_second_apply_changes_nothing(
    api_url: str, reportflow: CommandLine, tmp_path: Path, prefix: str
) -> None:
    path = reports_file(tmp_path, two_reports(prefix))

    first = reportflow("apply", "-f", str(path))
    second = reportflow("apply", "-f", str(path))

    assert first.returncode == 0, first.stderr
    assert f"+ create '{prefix} daily users'" in first.stdout
    assert "Plan: 2 to create, 0 to update, 0 to delete." in first.stdout
    created = reports_named(api_url, prefix)
    assert created[f"{prefix} daily users"]["schedule_cron"] == "0 8 * * *"
    assert created[f"{prefix} daily users"]["recipients"] == ["ops@example.com"]
    assert created[f"{prefix} revenue"]["output_format"] == "JSONL"
    assert second.returncode == 0, second.stderr
    assert "no changes" in second.stdout


def test_an_edit_in_the_file_is_applied_as_exactly_that_change(
    api_url: str, reportflow: CommandLine, tmp_path: Path, prefix: str
) -> None:
    path = reports_file(tmp_path, two_reports(prefix))
    assert reportflow("apply", "-f", str(path)).returncode == 0
    before = reports_named(api_url, prefix)
    path.write_text(two_reports(prefix).replace('"0 8 * * *"', '"30 9 * * 1-5"'))

    dry = reportflow("apply", "-f", str(path), "--dry-run")
    unchanged = reports_named(api_url, prefix)
    applied = reportflow("apply", "-f", str(path))
    after = reports_named(api_url, prefix)

    assert dry.returncode == 0, dry.stderr
    assert "schedule_cron: '0 8 * * *' → '30 9 * * 1-5'" in dry.stdout
    assert "Plan: 0 to create, 1 to update, 0 to delete." in dry.stdout
    assert unchanged == before
    assert applied.returncode == 0, applied.stderr
    name = f"{prefix} daily users"
    changed = {field for field in after[name] if after[name][field] != before[name][field]} - {
        "updated_at",
        "next_run_at",
    }
    assert changed == {"schedule_cron"}
    assert after[f"{prefix} revenue"] == before[f"{prefix} revenue"]


def test_an_sql_edit_is_shown_line_by_line(
    api_url: str, reportflow: CommandLine, tmp_path: Path, prefix: str
) -> None:
    path = reports_file(tmp_path, two_reports(prefix))
    assert reportflow("apply", "-f", str(path)).returncode == 0
    path.write_text(
        two_reports(prefix).replace("SELECT 1 AS users", "SELECT 1 AS users\n      -- per day")
    )
    dry = reportflow("apply", "-f", str(path), "--dry-run")
    assert "\n       SELECT 1 AS users\n      +-- per day\n" in dry.stdout


def test_renamed_from_renames_the_report_keeping_its_id(
    api_url: str, reportflow: CommandLine, tmp_path: Path, prefix: str
) -> None:
    path = reports_file(tmp_path, two_reports(prefix))
    assert reportflow("apply", "-f", str(path)).returncode == 0
    old_id = reports_named(api_url, prefix)[f"{prefix} revenue"]["id"]
    renamed = two_reports(prefix).replace(
        f"  - name: {prefix} revenue\n",
        f"  - name: {prefix} income\n    renamed_from: {prefix} revenue\n",
    )
    path.write_text(renamed)

    applied = reportflow("apply", "-f", str(path))

    assert applied.returncode == 0, applied.stderr
    assert f"(renamed from '{prefix} revenue')" in applied.stdout
    after = reports_named(api_url, prefix)
    assert after[f"{prefix} income"]["id"] == old_id
    assert f"{prefix} revenue" not in after
    assert "no changes" in reportflow("apply", "-f", str(path)).stdout


def editor_command(api_url: str, config_home: Path) -> CommandLine:
    """The command line signed in as a new editor: a user whose reports are only the test's."""
    with httpx.Client(base_url=api_url, headers=bearer(ADMIN_TOKEN)) as client:
        password = uuid.uuid4().hex
        email = f"editor-{uuid.uuid4().hex[:8]}@example.com"
        user = client.post(
            "/api/users", json={"email": email, "password": password, "role": "editor"}
        )
        token = client.post("/api/tokens", json={"name": "cli", "user_id": user.json()["id"]})
    return CommandLine(api_url, token.json()["token"], config_home)


def test_prune_deletes_only_the_callers_reports_the_file_no_longer_names(
    api_url: str, tmp_path: Path, prefix: str
) -> None:
    editor = editor_command(api_url, tmp_path / "config")
    path = reports_file(tmp_path, two_reports(prefix))
    assert editor("apply", "-f", str(path)).returncode == 0
    others = set(reports_named(api_url, "")) - set(reports_named(api_url, prefix))
    path.write_text(two_reports(prefix).split(f"  - name: {prefix} revenue")[0])

    without_prune = editor("apply", "-f", str(path))
    declined = editor("apply", "-f", str(path), "--prune", input_text="n\n")
    after_declining = set(reports_named(api_url, prefix))
    pruned = editor("apply", "-f", str(path), "--prune", "--yes")

    assert "no changes" in without_prune.stdout
    assert declined.returncode != 0
    assert after_declining == {f"{prefix} daily users", f"{prefix} revenue"}
    assert pruned.returncode == 0, pruned.stderr
    assert set(reports_named(api_url, prefix)) == {f"{prefix} daily users"}
    assert f"- delete '{prefix} revenue'" in pruned.stdout
    assert "Plan: 0 to create, 0 to update, 1 to delete." in pruned.stdout
    assert others <= set(reports_named(api_url, ""))  # nobody else's report was touched
    widened = editor("apply", "-f", str(path), "--prune", "--all-owners", "--yes")
    assert widened.returncode == EXIT_API_ERROR
    assert "--all-owners is for admins" in widened.stderr
    assert others <= set(reports_named(api_url, ""))


def test_export_then_apply_round_trips_with_no_changes(
    api_url: str, reportflow: CommandLine, tmp_path: Path, prefix: str
) -> None:
    path = reports_file(tmp_path, two_reports(prefix))
    assert reportflow("apply", "-f", str(path)).returncode == 0
    names = sorted(reports_named(api_url, prefix))

    exported = reportflow("export", *names)
    again = reports_file(tmp_path, exported.stdout)
    applied = reportflow("apply", "-f", str(again))

    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.startswith(f"# yaml-language-server: $schema={api_url}/api/schemas/")
    assert "no changes" in applied.stdout, applied.stdout


def test_environment_references_are_resolved_at_apply(
    api_url: str, reportflow: CommandLine, tmp_path: Path, prefix: str
) -> None:
    path = reports_file(
        tmp_path,
        f"reports:\n  - name: {prefix} mailed\n    sql_query: SELECT 1\n"
        '    recipients: ["${REPORT_TO}"]\n',
    )
    missing = reportflow("apply", "-f", str(path))
    applied = reportflow("apply", "-f", str(path), REPORT_TO="finance@example.com")

    assert missing.returncode == EXIT_API_ERROR
    assert f"{path}:4: recipients: environment variable REPORT_TO is not set" in missing.stderr
    assert applied.returncode == 0, applied.stderr
    assert reports_named(api_url, prefix)[f"{prefix} mailed"]["recipients"] == [
        "finance@example.com"
    ]


def test_a_yaml_error_is_reported_with_its_line(
    reportflow: CommandLine, tmp_path: Path, prefix: str
) -> None:
    path = reports_file(
        tmp_path, f"reports:\n  - name: {prefix} broken\n    sql_query: [SELECT 1\n    x: 1\n"
    )
    broken = reportflow("apply", "-f", str(path))
    assert broken.returncode == EXIT_API_ERROR
    assert f"{path}:4:" in broken.stderr


def test_a_field_the_api_refuses_is_reported_at_its_line(
    reportflow: CommandLine, tmp_path: Path, prefix: str
) -> None:
    path = reports_file(
        tmp_path,
        f"reports:\n  - name: {prefix} bad cron\n    sql_query: SELECT 1\n"
        '    schedule_cron: "61 * * * *"\n',
    )
    refused = reportflow("apply", "-f", str(path))
    assert refused.returncode == EXIT_API_ERROR
    assert f"{path}:4: {prefix} bad cron:" in refused.stderr
    assert "schedule_cron" in refused.stderr


def test_the_api_serves_the_schema_the_command_ships(api_url: str) -> None:
    shipped = Path(__file__).parents[2] / "reportflow_cli" / "reports-file.schema.json"
    served = httpx.get(f"{api_url}/api/schemas/reports-file.json")
    assert served.status_code == 200
    assert served.json() == __import__("json").loads(shipped.read_text())
