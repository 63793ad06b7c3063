"""The `reportflow` command line against the real API process and a real runner."""

import json
import stat
import time
from pathlib import Path

import httpx

from tests.support.accounts import ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_TOKEN, bearer
from tests.support.command_line import CommandLine
from tests.support.reports import report_body
from tests.support.services import ServiceProcess

EXIT_FAILED = 1
EXIT_API_ERROR = 2


def create_report(api_url: str, **fields: object) -> dict[str, object]:
    with httpx.Client(base_url=api_url, headers=bearer(ADMIN_TOKEN)) as client:
        response = client.post("/api/reports", json=report_body(**fields))
    assert response.status_code == 201, response.text
    report: dict[str, object] = response.json()
    return report


def api_get(api_url: str, path: str, **params: str) -> httpx.Response:
    with httpx.Client(base_url=api_url, headers=bearer(ADMIN_TOKEN)) as client:
        return client.get(path, params=params)


def test_reports_list_shows_owner_schedule_in_words_and_last_status(
    api_url: str, reportflow: CommandLine
) -> None:
    report = create_report(api_url, schedule_cron="0 8 * * 1", timezone="Europe/Berlin")
    words = api_get(api_url, "/api/schedule/preview", cron="0 8 * * 1").json()["description"]

    listed = reportflow("reports", "list")

    assert listed.returncode == 0, listed.stderr
    line = next(line for line in listed.stdout.splitlines() if str(report["name"]) in line)
    assert ADMIN_EMAIL in line
    assert words in line
    assert "Europe/Berlin" in line
    assert "never ran" in line


def test_reports_list_as_json_is_the_api_answer(api_url: str, reportflow: CommandLine) -> None:
    report = create_report(api_url)
    listed = reportflow("reports", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    names = {entry["name"]: entry for entry in json.loads(listed.stdout)}
    assert names[str(report["name"])]["id"] == report["id"]


def test_reports_show_prints_the_definition_and_its_sql(
    api_url: str, reportflow: CommandLine
) -> None:
    report = create_report(api_url, sql_query="SELECT 42 AS answer", recipients=["a@example.com"])
    shown = reportflow("reports", "show", str(report["name"]))
    assert shown.returncode == 0, shown.stderr
    assert "SELECT 42 AS answer" in shown.stdout
    assert "a@example.com" in shown.stdout


def test_run_wait_exits_zero_on_success_and_downloads_the_same_bytes(
    api_url: str, reportflow: CommandLine, runner: ServiceProcess, tmp_path: Path
) -> None:
    report = create_report(api_url, sql_query="SELECT generate_series(1, 500) AS n")
    target = tmp_path / "out.csv"

    ran = reportflow("run", str(report["name"]), "--wait", "-o", str(target))

    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "SUCCESS: 500 rows" in ran.stdout
    runs = api_get(api_url, f"/api/reports/{report['id']}/runs").json()
    download = api_get(api_url, f"/api/runs/{runs[0]['id']}/download")
    assert target.read_bytes() == download.content


def test_run_wait_exits_non_zero_on_failure_and_prints_the_error(
    api_url: str, reportflow: CommandLine, runner: ServiceProcess
) -> None:
    report = create_report(
        api_url, sql_query="SELECT 1 / (n - n) AS boom FROM generate_series(1, 3) n"
    )

    ran = reportflow("run", str(report["name"]), "--wait")

    assert ran.returncode == EXIT_FAILED
    assert "FAILED: division by zero" in ran.stderr


def test_run_without_wait_queues_and_returns_at_once(api_url: str, reportflow: CommandLine) -> None:
    report = create_report(api_url)
    ran = reportflow("run", str(report["name"]), "--json")
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["status"] in {"QUEUED", "RUNNING", "SUCCESS"}


def test_runs_lists_history_filtered_by_status(
    api_url: str, reportflow: CommandLine, runner: ServiceProcess
) -> None:
    report = create_report(api_url)
    assert reportflow("run", str(report["name"]), "--wait").returncode == 0

    every = reportflow("runs", str(report["name"]), "--json")
    failed = reportflow("runs", str(report["name"]), "--status", "FAILED", "--json")
    table = reportflow("runs", str(report["name"]), "--limit", "1")

    assert [run["status"] for run in json.loads(every.stdout)] == ["SUCCESS"]
    assert json.loads(failed.stdout) == []
    assert "SUCCESS" in table.stdout


def test_an_unknown_report_name_is_an_error_naming_it(reportflow: CommandLine) -> None:
    ran = reportflow("run", "No such report anywhere")
    assert ran.returncode == EXIT_API_ERROR
    assert "no report named 'No such report anywhere'" in ran.stderr


def test_delete_asks_first_and_yes_skips_the_question(
    api_url: str, reportflow: CommandLine
) -> None:
    report = create_report(api_url)
    name = str(report["name"])

    declined = reportflow("reports", "delete", name, input_text="n\n")
    still_there = api_get(api_url, f"/api/reports/{report['id']}").status_code
    deleted = reportflow("reports", "delete", name, "--yes")

    assert declined.returncode != 0
    assert still_there == 200
    assert deleted.returncode == 0, deleted.stderr
    assert api_get(api_url, f"/api/reports/{report['id']}").status_code == 404


def test_cancel_stops_a_running_report_and_resend_delivers_a_finished_one_again(
    api_url: str, reportflow: CommandLine
) -> None:
    slow = create_report(api_url, sql_query="SELECT pg_sleep(30) AS slept")
    queued = json.loads(reportflow("run", str(slow["name"]), "--json").stdout)

    cancelled = reportflow("cancel", queued["id"])
    status = _final_status(api_url, queued["id"])
    cancelled_again = reportflow("cancel", queued["id"])

    assert cancelled.returncode == 0, cancelled.stderr
    assert status == "CANCELLED"
    assert cancelled_again.returncode == EXIT_API_ERROR
    assert "409" in cancelled_again.stderr
    quick = create_report(api_url, recipients=["ana@example.com"])
    assert reportflow("run", str(quick["name"]), "--wait").returncode == 0
    finished = api_get(api_url, f"/api/reports/{quick['id']}/runs").json()[0]
    resent = reportflow("resend", finished["id"])
    assert resent.returncode == 0, resent.stderr
    nobody = create_report(api_url)
    assert reportflow("run", str(nobody["name"]), "--wait").returncode == 0
    to_nobody = api_get(api_url, f"/api/reports/{nobody['id']}/runs").json()[0]
    refused = reportflow("resend", to_nobody["id"])
    assert refused.returncode == EXIT_API_ERROR
    assert "no recipients or channels" in refused.stderr


def _final_status(api_url: str, run_id: str) -> str:
    for _ in range(150):
        status = str(api_get(api_url, f"/api/runs/{run_id}").json()["status"])
        if status not in {"QUEUED", "RUNNING"}:
            return status
        time.sleep(0.1)
    return status


def test_without_a_token_the_command_says_how_to_sign_in(api_url: str, tmp_path: Path) -> None:
    anonymous = CommandLine(api_url, None, tmp_path / "config")
    listed = anonymous("reports", "list")
    assert listed.returncode == EXIT_API_ERROR
    assert "reportflow login" in listed.stderr


def test_login_stores_a_token_only_its_owner_can_read_and_uses_it(
    api_url: str, tmp_path: Path
) -> None:
    anonymous = CommandLine(api_url, None, tmp_path / "config")

    signed_in = anonymous("login", "--email", ADMIN_EMAIL, "--password", ADMIN_PASSWORD)
    listed = anonymous("reports", "list", "--json")

    assert signed_in.returncode == 0, signed_in.stderr
    token_file = anonymous.config_home / "reportflow" / "tokens.json"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert json.loads(token_file.read_text())[api_url].startswith("rfk_")
    assert listed.returncode == 0, listed.stderr


def test_login_without_a_terminal_reads_the_password_from_standard_input(
    api_url: str, tmp_path: Path
) -> None:
    anonymous = CommandLine(api_url, None, tmp_path / "config")

    piped = anonymous("login", "--email", ADMIN_EMAIL, input_text=ADMIN_PASSWORD + "\n")
    empty = anonymous("login", "--email", ADMIN_EMAIL, input_text="")

    assert piped.returncode == 0, piped.stderr
    assert "Warning" not in piped.stderr  # getpass's "password may be echoed" is not used
    assert "signed in to" in piped.stdout
    assert empty.returncode == EXIT_API_ERROR
    assert "no password" in empty.stderr


def test_versions_are_listed_and_restore_brings_back_the_old_sql(
    api_url: str, reportflow: CommandLine
) -> None:
    report = create_report(api_url, sql_query="SELECT 1 AS first")
    with httpx.Client(base_url=api_url, headers=bearer(ADMIN_TOKEN)) as client:
        client.put(f"/api/reports/{report['id']}", json={"sql_query": "SELECT 2 AS second"})

    listed = reportflow("versions", str(report["name"]))
    restored = reportflow("restore", str(report["name"]), "1")
    versions = json.loads(reportflow("versions", str(report["name"]), "--json").stdout)

    assert listed.returncode == 0, listed.stderr
    assert "sql_query" in listed.stdout
    assert ADMIN_EMAIL in listed.stdout
    assert restored.returncode == 0, restored.stderr
    assert f"restored version 1 of {report['name']} as version 3" in restored.stdout
    assert api_get(api_url, f"/api/reports/{report['id']}").json()["sql_query"] == (
        "SELECT 1 AS first"
    )
    assert [version["version"] for version in versions] == [3, 2, 1]


def test_run_parameters_are_sent_and_a_list_takes_every_value_of_its_key(
    api_url: str, reportflow: CommandLine
) -> None:
    report = create_report(
        api_url,
        sql_query="SELECT {{ region }} AS region, {{ ids }} AS ids",
        parameters=[
            {"name": "region", "type": "text", "default": "EU"},
            {"name": "ids", "type": "integer[]", "default": [1]},
        ],
    )
    name = str(report["name"])

    repeated = reportflow("run", name, "-p", "region=US", "-p", "ids=4", "-p", "ids=7", "--json")
    as_json = reportflow("run", name, "--param", "ids=[5, 6]", "--json")
    twice = reportflow("run", name, "-p", "region=US", "-p", "region=EU")
    not_a_pair = reportflow("run", name, "--param", "no-equals-sign")
    broken_array = reportflow("run", name, "--param", "ids=[5,")

    assert repeated.returncode == 0, repeated.stderr
    assert json.loads(repeated.stdout)["requested_parameters"] == {
        "region": "US",
        "ids": [4, 7],
    }
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout)["requested_parameters"] == {"ids": [5, 6]}
    for refused, says in (
        (twice, "region is given 2 times"),
        (not_a_pair, "is not key=value"),
        (broken_array, "is not a JSON array"),
    ):
        assert refused.returncode == EXIT_API_ERROR, refused.stdout
        assert says in " ".join(refused.stderr.split()), refused.stderr
