"""Parameterised reports run by the real runner: defaults and overrides, values that stay data
(an injection attempt is a string in the file), files byte-identical to `psql \\copy` of the
query with the values written in, and date macros at a scheduled slot across a DST change."""

import asyncio
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from services.api.settings import ApiSettings
from tests.support.api import api_client, create_report
from tests.support.psql import psql_copy_csv
from tests.support.runs import wait_for_status
from tests.support.sandbox import SandboxSource
from tests.support.scenarios import Scenario
from tests.support.services import ServiceProcess

WAIT = 30
TABLE = f"param_orders_{uuid.uuid4().hex[:6]}"
ORDERS = f"""
CREATE TABLE {TABLE} (id int, region text, amount numeric, placed date, paid boolean);
INSERT INTO {TABLE} VALUES
  (1, 'EU', 5.50, '2025-12-31', true), (2, 'US', 12, '2026-01-02', false),
  (3, 'EU', 40, '2026-02-01', true), (4, 'APAC', 99.99, '2026-03-01', true),
  (5, 'EU', 10, '2026-03-29', false);
"""
ORDERS_SQL = (
    f"SELECT id, region, amount, placed FROM {TABLE} "
    "WHERE amount >= {{ min_amount }} AND region = ANY({{ regions }}) "
    "AND placed >= {{ since }} AND paid = {{ paid }} ORDER BY id LIMIT {{ top }}"
)
ORDERS_PARAMETERS = [
    {"name": "min_amount", "type": "number", "default": 10},
    {"name": "regions", "type": "text[]", "default": ["EU"]},
    {"name": "since", "type": "date", "default": "2026-01-01"},
    {"name": "paid", "type": "boolean", "default": True},
    {"name": "top", "type": "integer", "default": 100},
]


async def _run(
    client: httpx.AsyncClient, report_id: str, parameters: dict[str, Any] | None = None
) -> dict[str, Any]:
    body = None if parameters is None else {"parameters": parameters}
    response = await client.post(f"/api/reports/{report_id}/run", params={"wait": WAIT}, json=body)
    assert response.status_code == 200, response.text
    run: dict[str, Any] = response.json()
    assert run["status"] == "SUCCESS", run
    return run


def _literal(text: str) -> str:
    """`text` written into SQL as a standard string literal, for psql's reference export."""
    return "'" + text.replace("'", "''") + "'"


async def _file(client: httpx.AsyncClient, run: dict[str, Any]) -> bytes:
    download = await client.get(f"/api/runs/{run['id']}/download")
    assert download.status_code == 200
    return download.content


async def test_parameterised_report_runs_with_defaults_and_with_overrides(
    api_settings: ApiSettings, runner: ServiceProcess, data_source: SandboxSource, tmp_path: Path
) -> None:
    await data_source.add_tables(ORDERS)
    async with api_client(api_settings) as client:
        report_id = await create_report(client, ORDERS_SQL, parameters=ORDERS_PARAMETERS)
        by_default = await _run(client, report_id)
        overridden = await _run(
            client,
            report_id,
            {"min_amount": "5.5", "regions": ["EU", "APAC"], "since": "2025-01-01", "top": 2},
        )
        default_file, overridden_file = (
            await _file(client, by_default),
            await _file(client, overridden),
        )

    assert by_default["parameters"] == {
        "min_amount": 10,
        "regions": ["EU"],
        "since": "2026-01-01",
        "paid": True,
        "top": 100,
    }
    assert overridden["requested_parameters"] == {
        "min_amount": 5.5,
        "regions": ["EU", "APAC"],
        "since": "2025-01-01",
        "top": 2,
    }
    assert overridden["parameters"] == {**overridden["requested_parameters"], "paid": True}
    written_in = (
        f"SELECT id, region, amount, placed FROM {TABLE} WHERE amount >= {{}} "
        "AND region = ANY({}) AND placed >= {} AND paid = true ORDER BY id LIMIT {}"
    )
    assert default_file == psql_copy_csv(
        data_source.reader_url,
        written_in.format(10, "ARRAY['EU']", "DATE '2026-01-01'", 100),
        tmp_path / "defaults.csv",
    )
    assert default_file == b"id,region,amount,placed\n3,EU,40,2026-02-01\n"
    assert overridden_file == psql_copy_csv(
        data_source.reader_url,
        written_in.format(5.5, "ARRAY['EU','APAC']", "DATE '2025-01-01'", 2),
        tmp_path / "overrides.csv",
    )
    assert overridden_file.count(b"\n") == 3  # header and the first two of three matches


async def test_injection_attempt_through_a_text_parameter_is_stored_as_data(
    api_settings: ApiSettings,
    runner: ServiceProcess,
    data_source: SandboxSource,
    source_db: Any,
    tmp_path: Path,
) -> None:
    victims = f"param_victims_{uuid.uuid4().hex[:6]}"
    await data_source.add_tables(
        f"CREATE TABLE {victims} (id int); INSERT INTO {victims} VALUES (1)"
    )
    attack = f"'; DROP TABLE {victims}; --"
    tricky = "$$ {{ who }} \" E'x' -- /*"
    sql = f"SELECT {{{{ who }}}} AS who, {{{{ also }}}} AS also, count(*) AS n FROM {victims}"
    parameters = [
        {"name": "who", "type": "text", "default": "nobody"},
        {"name": "also", "type": "text[]", "default": []},
    ]
    async with api_client(api_settings) as client:
        report_id = await create_report(client, sql, parameters=parameters)
        run = await _run(client, report_id, {"who": attack, "also": [attack, tricky, "{a,b}"]})
        content = await _file(client, run)

    assert await source_db.fetchval(f"SELECT count(*) FROM {victims}") == 1
    assert run["parameters"] == {"who": attack, "also": [attack, tricky, "{a,b}"]}
    expected = psql_copy_csv(
        data_source.reader_url,
        f"SELECT {_literal(attack)} AS who, "
        f"ARRAY[{_literal(attack)}, {_literal(tricky)}, '{{a,b}}'] AS also, "
        f"count(*) AS n FROM {victims}",
        tmp_path / "psql.csv",
    )
    assert content == expected
    assert attack.encode() in content


async def test_json_and_cursor_engine_exports_read_parameters_too(
    api_settings: ApiSettings, runner: ServiceProcess, data_source: SandboxSource
) -> None:
    """JSON wraps the statement as a subquery; the formula guard reads it through a cursor."""
    table = TABLE + "_json"
    await data_source.add_tables(ORDERS.replace(TABLE, table))
    sql = ORDERS_SQL.replace(TABLE, table)
    values = {"regions": ["US"], "paid": "false"}
    async with api_client(api_settings) as client:
        as_json = await create_report(
            client, sql, parameters=ORDERS_PARAMETERS, output_format="JSONL"
        )
        by_cursor = await create_report(
            client, sql, parameters=ORDERS_PARAMETERS, csv_formula_guard=True
        )
        json_lines = await _file(client, await _run(client, as_json, values))
        csv = await _file(client, await _run(client, by_cursor, values))
    rows = [json.loads(line) for line in json_lines.splitlines()]
    assert rows == [{"id": 2, "region": "US", "amount": 12, "placed": "2026-01-02"}]
    assert csv == b"id,region,amount,placed\n2,US,12,2026-01-02\n"


async def test_scheduled_run_on_the_monday_after_a_dst_change_reads_last_week(
    scenario: Scenario, api_settings: ApiSettings
) -> None:
    """Berlin moved to summer time on Sunday 2026-03-29; the run of Monday 08:00 (06:00 UTC)
    covers Monday 23 to Sunday 29 March, whenever a runner gets to it."""
    # The clock shows 05:56 UTC when the scheduler starts and runs 10 times faster: the report,
    # created once it runs (a schedule added later starts from the scheduler's now), fires
    # about 24 real seconds later.
    scenario.start(
        "scheduler",
        SCHEDULER_SIMULATION_CLOCK_SPEED="10",
        SCHEDULER_SIMULATION_CLOCK_EPOCH=datetime.now(UTC).isoformat(),
        SCHEDULER_SIMULATION_CLOCK_START="2026-03-30T05:56:00+00:00",
        SCHEDULER_POLL_SECONDS="0.2",
    )
    scenario.start("runner")
    async with api_client(scenario.api_settings(api_settings)) as client:
        report_id = await create_report(
            client,
            "SELECT {{ last_week_start }} AS first_day, {{ last_week_end }} AS last_day, "
            "{{ today }} AS run_day",
            schedule_cron="0 8 * * 1",
            timezone="Europe/Berlin",
        )
    run_id = None
    # 05:56 to 06:00 on a tenfold clock is 24 s after the epoch, start-up included: wait 60 s.
    for _ in range(600):
        run_id = await scenario.db.fetchval(
            "SELECT id FROM report_runs WHERE report_id = $1", uuid.UUID(report_id)
        )
        if run_id is not None:
            break
        await asyncio.sleep(0.1)
    assert run_id is not None, "the scheduler queued no run"
    run = await wait_for_status(scenario.db, run_id, {"SUCCESS", "FAILED"}, within=WAIT)
    assert run["status"] == "SUCCESS", run["error_message"]
    assert run["scheduled_for"] == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)
    assert json.loads(run["parameters"]) == {
        "last_week_start": "2026-03-23",
        "last_week_end": "2026-03-29",
        "today": "2026-03-30",
    }
    content = (scenario.output_dir / Path(run["output_path"]).name).read_bytes()
    assert content == b"first_day,last_day,run_day\n2026-03-23,2026-03-29,2026-03-30\n"
