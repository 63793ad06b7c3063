"""ReportFlow's promise, checked over the system of record at the end of every fault scenario.

For the runs of the given reports: every run ends in exactly one final state; every (run, e-mail
recipient) has at most one delivered notification (and at most one mail at the SMTP server, when
the scenario counts them); nothing is RUNNING past its lease; no outbox row stays unpublished for
more than a minute; and, in an output folder only these runs write to, every file belongs to a
SUCCESS run, every SUCCESS run has its file, and no partial (`.part`) file is left.
"""

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import timedelta
from pathlib import Path

import asyncpg

FINAL_STATUSES = ("SUCCESS", "FAILED", "CANCELLED", "SKIPPED")
OUTBOX_GRACE = timedelta(minutes=1)
# A lease is renewed well before it ends; a little slack for a renewal under way.
LEASE_GRACE = timedelta(seconds=1)


class InvariantViolated(AssertionError):
    """One or more broken promises, each on a line of its own."""


async def _unfinished_runs(db: asyncpg.Connection, report_ids: list[uuid.UUID]) -> list[str]:
    rows = await db.fetch(
        "SELECT id, status, attempt FROM report_runs "
        "WHERE report_id = ANY($1::uuid[]) AND status <> ALL($2::text[])",
        report_ids,
        list(FINAL_STATUSES),
    )
    return [f"run {row['id']} is {row['status']} (attempt {row['attempt']})" for row in rows]


async def _duplicate_slots(db: asyncpg.Connection, report_ids: list[uuid.UUID]) -> list[str]:
    rows = await db.fetch(
        "SELECT report_id, scheduled_for, count(*) AS runs FROM report_runs "
        "WHERE report_id = ANY($1::uuid[]) AND scheduled_for IS NOT NULL "
        "GROUP BY report_id, scheduled_for HAVING count(*) > 1",
        report_ids,
    )
    return [
        f"report {row['report_id']} has {row['runs']} runs for {row['scheduled_for']}"
        for row in rows
    ]


async def _duplicate_deliveries(db: asyncpg.Connection, report_ids: list[uuid.UUID]) -> list[str]:
    rows = await db.fetch(
        "SELECT n.run_id, n.recipient, count(*) AS sent FROM notification_log n "
        "JOIN report_runs r ON r.id = n.run_id "
        "WHERE r.report_id = ANY($1::uuid[]) AND n.channel = 'EMAIL' AND n.status = 'SENT' "
        "GROUP BY n.run_id, n.recipient HAVING count(*) > 1",
        report_ids,
    )
    return [
        f"run {row['run_id']} was sent to {row['recipient']} {row['sent']} times" for row in rows
    ]


async def _expired_leases(db: asyncpg.Connection, report_ids: list[uuid.UUID]) -> list[str]:
    rows = await db.fetch(
        "SELECT id, lease_expires_at FROM report_runs "
        "WHERE report_id = ANY($1::uuid[]) AND status = 'RUNNING' "
        "AND (lease_expires_at IS NULL OR lease_expires_at < now() - $2::interval)",
        report_ids,
        LEASE_GRACE,
    )
    return [
        f"run {row['id']} is RUNNING past its lease ({row['lease_expires_at']})" for row in rows
    ]


async def _stale_outbox(db: asyncpg.Connection, report_ids: list[uuid.UUID]) -> list[str]:
    rows = await db.fetch(
        "SELECT id, routing_key, created_at FROM outbox "
        "WHERE published_at IS NULL AND created_at < now() - $2::interval "
        "AND (payload ->> 'report_id')::uuid = ANY($1::uuid[])",
        report_ids,
        OUTBOX_GRACE,
    )
    return [
        f"outbox row {row['id']} ({row['routing_key']}) unpublished since {row['created_at']}"
        for row in rows
    ]


async def _file_mismatches(
    db: asyncpg.Connection, report_ids: list[uuid.UUID], output_dir: Path
) -> list[str]:
    successful = await db.fetch(
        "SELECT id, output_path FROM report_runs "
        "WHERE report_id = ANY($1::uuid[]) AND status = 'SUCCESS'",
        report_ids,
    )
    expected = {Path(str(row["output_path"])).name: row["id"] for row in successful}
    present = {path.name for path in output_dir.iterdir() if path.is_file()}
    problems = [f"partial file left: {name}" for name in sorted(present) if name.endswith(".part")]
    problems += [
        f"file without a SUCCESS run: {name}"
        for name in sorted(present - set(expected))
        if not name.endswith(".part")
    ]
    problems += [
        f"SUCCESS run {expected[name]} has no file {name}"
        for name in sorted(set(expected) - present)
    ]
    return problems


def _duplicate_mails(mails: Iterable[tuple[str, str]]) -> list[str]:
    return [
        f"{count} mails about {subject!r} to {recipient}"
        for (recipient, subject), count in Counter(mails).items()
        if count > 1
    ]


async def invariant_violations(
    db: asyncpg.Connection,
    report_ids: Sequence[uuid.UUID | str],
    output_dir: Path | None = None,
    mails: Iterable[tuple[str, str]] = (),
) -> list[str]:
    """What is broken, one line each; empty when the promise held.

    `output_dir`: a folder only these reports' runs write to (omit it when it is shared).
    `mails`: (recipient, a key naming the run, e.g. the subject) per mail the SMTP server got.
    """
    ids = [uuid.UUID(str(report_id)) for report_id in report_ids]
    problems = [
        *await _unfinished_runs(db, ids),
        *await _duplicate_slots(db, ids),
        *await _duplicate_deliveries(db, ids),
        *await _expired_leases(db, ids),
        *await _stale_outbox(db, ids),
        *_duplicate_mails(mails),
    ]
    if output_dir is not None:
        problems += await _file_mismatches(db, ids, output_dir)
    return problems


async def assert_invariants(
    db: asyncpg.Connection,
    report_ids: Sequence[uuid.UUID | str],
    output_dir: Path | None = None,
    mails: Iterable[tuple[str, str]] = (),
) -> None:
    problems = await invariant_violations(db, report_ids, output_dir, mails)
    if problems:
        raise InvariantViolated("\n".join(problems))
