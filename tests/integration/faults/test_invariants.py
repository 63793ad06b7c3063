"""The invariant checker finds each broken promise, and nothing where the promise held."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from tests.support.invariants import check_invariants
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
    expired_at = datetime.now(UTC)
    await _run(db, report_id, "SUCCESS", output_path="Expired.csv", expired_at=expired_at)

    verdict = await check_invariants(db, [report_id], tmp_path, [("a@x.test", "run 1")])

    assert (verdict.problems, verdict.duplicates, verdict.lost) == ([], 0, 0)


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

    verdict = await check_invariants(
        db, [report_id], tmp_path, [("a@x.test", "run 1"), ("a@x.test", "run 1")]
    )
    problems = verdict.problems

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
    # The doubled mail; the QUEUED and the RUNNING run never finished.
    assert (verdict.duplicates, verdict.lost) == (1, 2)


async def test_an_event_waiting_longer_than_the_scenarios_grace_is_named(
    db: asyncpg.Connection,
) -> None:
    # Planted in a transaction never committed: a relay of another test's process on this
    # database (the session's API, say) would otherwise publish the row before it is checked.
    planted = db.transaction()
    await planted.start()
    try:
        report_id = await _report(db)
        await db.execute(
            "INSERT INTO outbox (event_id, routing_key, payload, created_at) "
            "VALUES (gen_random_uuid(), 'run.requested', $1::jsonb, now() - interval '5 seconds')",
            f'{{"report_id": "{report_id}"}}',
        )
        within_a_minute = await check_invariants(db, [report_id])
        short_scale = await check_invariants(db, [report_id], outbox_grace=timedelta(seconds=2))
    finally:
        await planted.rollback()

    assert within_a_minute.problems == []
    (problem,) = short_scale.problems
    assert "unpublished since" in problem


async def test_requested_runs_and_expected_mails_that_never_came_count_as_lost(
    db: asyncpg.Connection,
) -> None:
    report_id = await _report(db)
    await _run(db, report_id, "SUCCESS")
    never_written = uuid.uuid4()

    verdict = await check_invariants(
        db,
        [report_id],
        mails=[("a@x.test", "run 1")],
        requested_runs=[never_written],
        expected_mails=[("a@x.test", "run 1"), ("b@x.test", "run 1")],
    )

    assert sorted(verdict.problems) == [
        "no mail about 'run 1' to b@x.test",
        f"requested run {never_written} does not exist",
    ]
    assert (verdict.duplicates, verdict.lost) == (0, 2)


async def test_a_timetable_slot_without_its_run_counts_as_lost(db: asyncpg.Connection) -> None:
    report_id = await _report(db)
    queued, missed = datetime(2026, 1, 5, 9, 0, tzinfo=UTC), datetime(2026, 1, 5, 9, 1, tzinfo=UTC)
    await _run(db, report_id, "SUCCESS", scheduled_for=queued)

    verdict = await check_invariants(
        db, [report_id], expected_slots=[(report_id, queued), (report_id, missed)]
    )

    assert verdict.problems == [f"report {report_id} has no run for its slot {missed.isoformat()}"]
    assert verdict.lost == 1


async def test_a_file_kept_after_its_run_expired_is_named(
    db: asyncpg.Connection, tmp_path: Path
) -> None:
    report_id = await _report(db)
    (tmp_path / "Expired.csv").write_text("x\n")
    await _run(db, report_id, "SUCCESS", output_path="Expired.csv", expired_at=datetime.now(UTC))

    verdict = await check_invariants(db, [report_id], tmp_path)

    (problem,) = verdict.problems
    assert "file of expired run" in problem
    assert problem.endswith("still there: Expired.csv")
