"""The invariant checker finds each broken promise, and nothing where the promise held."""

import uuid
from pathlib import Path

import asyncpg

from tests.support.invariants import invariant_violations
from tests.support.reports import unique_name


async def _report(db: asyncpg.Connection) -> uuid.UUID:
    report_id: uuid.UUID = await db.fetchval(
        "INSERT INTO reports (id, name, sql_query) VALUES (gen_random_uuid(), $1, 'SELECT 1') "
        "RETURNING id",
        unique_name("Checked"),
    )
    return report_id


async def _run(db: asyncpg.Connection, report_id: uuid.UUID, status: str, **fields: object) -> None:
    columns = ", ".join(["report_id", "trigger", "status", *fields])
    values = ", ".join(f"${index}" for index in range(1, len(fields) + 4))
    await db.execute(
        f"INSERT INTO report_runs (id, {columns}) VALUES (gen_random_uuid(), {values})",
        report_id,
        "MANUAL",
        status,
        *fields.values(),
    )


async def test_a_finished_run_with_its_file_breaks_nothing(
    db: asyncpg.Connection, tmp_path: Path
) -> None:
    report_id = await _report(db)
    (tmp_path / "Checked_1.csv").write_text("one\n1\n")
    await _run(db, report_id, "SUCCESS", output_path=str(tmp_path / "Checked_1.csv"))
    await _run(db, report_id, "FAILED")

    assert await invariant_violations(db, [report_id], tmp_path, [("a@x.test", "run 1")]) == []


async def test_each_broken_promise_is_named(db: asyncpg.Connection, tmp_path: Path) -> None:
    report_id = await _report(db)
    await _run(db, report_id, "QUEUED")
    await db.execute(
        "INSERT INTO report_runs (id, report_id, trigger, status, lease_expires_at) "
        "VALUES (gen_random_uuid(), $1, 'MANUAL', 'RUNNING', now() - interval '1 minute')",
        report_id,
    )
    await _run(db, report_id, "SUCCESS", output_path=str(tmp_path / "Missing.csv"))
    await db.execute(
        "INSERT INTO outbox (event_id, routing_key, payload, created_at) "
        "VALUES (gen_random_uuid(), 'run.requested', $1::jsonb, now() - interval '2 minutes')",
        f'{{"report_id": "{report_id}"}}',
    )
    (tmp_path / "Stray.csv").write_text("x\n")
    (tmp_path / ".abc.1234.csv.part").write_text("x\n")

    problems = await invariant_violations(
        db, [report_id], tmp_path, [("a@x.test", "run 1"), ("a@x.test", "run 1")]
    )

    expected = [
        "is QUEUED",
        "is RUNNING (attempt",
        "RUNNING past its lease",
        "unpublished since",
        "2 mails about 'run 1' to a@x.test",
        "partial file left: .abc.1234.csv.part",
        "file without a SUCCESS run: Stray.csv",
        "has no file Missing.csv",
    ]
    for fragment in expected:
        assert any(fragment in problem for problem in problems), (fragment, problems)
    assert len(problems) == len(expected)
