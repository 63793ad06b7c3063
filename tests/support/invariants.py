"""ReportFlow's promise, checked over the system of record at the end of every fault scenario.

For the runs of the given reports: every run ends in exactly one final state; every (run, e-mail
recipient) has at most one delivered notification (and at most one mail at the SMTP server, when
the scenario counts them); nothing is RUNNING past its lease; no outbox row stays unpublished for
longer than the scenario's grace (a minute by default; short scenarios pass their own scale);
and, in an output folder only these runs write to, every file belongs to a SUCCESS run, every
SUCCESS run has its file unless retention expired it (then the file must be gone), and no
partial (`.part`) file is left. With the runs a scenario
requested and the mails it expects, it also counts what was lost; the counts of duplicates and
losses are what bench/faults.py prints.
"""

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg

FINAL_STATUSES = ("SUCCESS", "FAILED", "CANCELLED", "SKIPPED")
OUTBOX_GRACE = timedelta(minutes=1)
# A lease is renewed well before it ends; a little slack for a renewal under way.
LEASE_GRACE = timedelta(seconds=1)


class InvariantViolated(AssertionError):
    """One or more broken promises, each on a line of its own."""


@dataclass
class Verdict:
    """What is broken (one line each) and how many things were doubled or lost."""

    problems: list[str] = field(default_factory=list)
    # Extra runs of one slot, extra SENT rows of one (run, recipient), extra mails at the server.
    duplicates: int = 0
    # Runs left unfinished, requested runs that do not exist, expected mails that never came,
    # timetable slots that got no run.
    lost: int = 0


async def _unfinished_runs(db: asyncpg.Connection, report_ids: list[uuid.UUID]) -> list[str]:
    rows = await db.fetch(
        "SELECT id, status, attempt FROM report_runs "
        "WHERE report_id = ANY($1::uuid[]) AND status <> ALL($2::text[])",
        report_ids,
        list(FINAL_STATUSES),
    )
    return [f"run {row['id']} is {row['status']} (attempt {row['attempt']})" for row in rows]


async def _duplicate_slots(db: asyncpg.Connection, report_ids: list[uuid.UUID]) -> Verdict:
    rows = await db.fetch(
        "SELECT report_id, scheduled_for, count(*) AS runs FROM report_runs "
        "WHERE report_id = ANY($1::uuid[]) AND scheduled_for IS NOT NULL "
        "GROUP BY report_id, scheduled_for HAVING count(*) > 1",
        report_ids,
    )
    return Verdict(
        [
            f"report {row['report_id']} has {row['runs']} runs for {row['scheduled_for']}"
            for row in rows
        ],
        duplicates=sum(row["runs"] - 1 for row in rows),
    )


async def _duplicate_deliveries(db: asyncpg.Connection, report_ids: list[uuid.UUID]) -> Verdict:
    rows = await db.fetch(
        "SELECT n.run_id, n.recipient, count(*) AS sent FROM notification_log n "
        "JOIN report_runs r ON r.id = n.run_id "
        "WHERE r.report_id = ANY($1::uuid[]) AND n.channel = 'EMAIL' AND n.status = 'SENT' "
        # A resend is a delivery of its own (its rows carry its resend_id).
        "GROUP BY n.run_id, n.recipient, n.resend_id HAVING count(*) > 1",
        report_ids,
    )
    return Verdict(
        [f"run {row['run_id']} was sent to {row['recipient']} {row['sent']} times" for row in rows],
        duplicates=sum(row["sent"] - 1 for row in rows),
    )


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


async def _stale_outbox(
    db: asyncpg.Connection, report_ids: list[uuid.UUID], grace: timedelta
) -> list[str]:
    rows = await db.fetch(
        "SELECT id, routing_key, created_at FROM outbox "
        "WHERE published_at IS NULL AND created_at < now() - $2::interval "
        "AND (payload ->> 'report_id')::uuid = ANY($1::uuid[])",
        report_ids,
        grace,
    )
    return [
        f"outbox row {row['id']} ({row['routing_key']}) unpublished since {row['created_at']}"
        for row in rows
    ]


async def _file_mismatches(
    db: asyncpg.Connection, report_ids: list[uuid.UUID], output_dir: Path
) -> list[str]:
    successful = await db.fetch(
        "SELECT id, output_path, expired_at FROM report_runs "
        "WHERE report_id = ANY($1::uuid[]) AND status = 'SUCCESS'",
        report_ids,
    )
    # An expired run (retention removed its file) stays listed and expects no file.
    expected = {
        Path(str(row["output_path"])).name: row["id"] for row in successful if not row["expired_at"]
    }
    expired = {
        Path(str(row["output_path"])).name: row["id"] for row in successful if row["expired_at"]
    }
    present = {path.name for path in output_dir.iterdir() if path.is_file()}
    problems = [f"partial file left: {name}" for name in sorted(present) if name.endswith(".part")]
    problems += [
        f"file of expired run {expired[name]} still there: {name}"
        for name in sorted(present & set(expired))
    ]
    problems += [
        f"file without a SUCCESS run: {name}"
        for name in sorted(present - set(expected) - set(expired))
        if not name.endswith(".part")
    ]
    problems += [
        f"SUCCESS run {expected[name]} has no file {name}"
        for name in sorted(set(expected) - present)
    ]
    return problems


def _duplicate_mails(mails: Counter[tuple[str, str]]) -> Verdict:
    doubled = {key: count for key, count in mails.items() if count > 1}
    return Verdict(
        [
            f"{count} mails about {subject!r} to {recipient}"
            for (recipient, subject), count in doubled.items()
        ],
        duplicates=sum(count - 1 for count in doubled.values()),
    )


async def _missing_runs(db: asyncpg.Connection, requested: list[uuid.UUID]) -> list[str]:
    found = await db.fetch("SELECT id FROM report_runs WHERE id = ANY($1::uuid[])", requested)
    missing = set(requested) - {row["id"] for row in found}
    return [f"requested run {run_id} does not exist" for run_id in sorted(missing)]


async def _missing_slots(
    db: asyncpg.Connection, expected: set[tuple[uuid.UUID, datetime]]
) -> list[str]:
    rows = await db.fetch(
        "SELECT report_id, scheduled_for FROM report_runs WHERE report_id = ANY($1::uuid[]) "
        "AND scheduled_for IS NOT NULL",
        list({report_id for report_id, _ in expected}),
    )
    queued = {(row["report_id"], row["scheduled_for"]) for row in rows}
    return [
        f"report {report_id} has no run for its slot {slot.isoformat()}"
        for report_id, slot in sorted(expected - queued)
    ]


def _missing_mails(mails: Counter[tuple[str, str]], expected: set[tuple[str, str]]) -> list[str]:
    return [
        f"no mail about {subject!r} to {recipient}"
        for recipient, subject in sorted(expected - set(mails))
    ]


async def check_invariants(
    db: asyncpg.Connection,
    report_ids: Sequence[uuid.UUID | str],
    output_dir: Path | None = None,
    mails: Iterable[tuple[str, str]] = (),
    *,
    requested_runs: Sequence[uuid.UUID | str] = (),
    expected_mails: Iterable[tuple[str, str]] = (),
    expected_slots: Iterable[tuple[uuid.UUID, datetime]] = (),
    outbox_grace: timedelta = OUTBOX_GRACE,
) -> Verdict:
    """What is broken, one line each (none when the promise held), and the counts.

    `output_dir`: a folder only these reports' runs write to (omit it when it is shared).
    `mails`: (recipient, a key naming the run, e.g. the subject) per mail the SMTP server got;
    `expected_mails`: the ones that should have come, each once. `requested_runs`: run ids the
    scenario was answered with. `expected_slots`: (report, slot) pairs its timetable must have
    queued a run for. `outbox_grace`: how long an event may wait in the outbox.
    """
    ids = [uuid.UUID(str(report_id)) for report_id in report_ids]
    received = Counter(mails)
    unfinished = await _unfinished_runs(db, ids)
    missing_runs = await _missing_runs(db, [uuid.UUID(str(run)) for run in requested_runs])
    missing_mails = _missing_mails(received, set(expected_mails))
    missing_slots = await _missing_slots(db, set(expected_slots))
    doubled = [
        await _duplicate_slots(db, ids),
        await _duplicate_deliveries(db, ids),
        _duplicate_mails(received),
    ]
    verdict = Verdict(
        [
            *unfinished,
            *missing_runs,
            *missing_mails,
            *missing_slots,
            *(problem for part in doubled for problem in part.problems),
            *await _expired_leases(db, ids),
            *await _stale_outbox(db, ids, outbox_grace),
        ],
        duplicates=sum(part.duplicates for part in doubled),
        lost=len(unfinished) + len(missing_runs) + len(missing_mails) + len(missing_slots),
    )
    if output_dir is not None:
        verdict.problems += await _file_mismatches(db, ids, output_dir)
    return verdict


async def assert_invariants(
    db: asyncpg.Connection,
    report_ids: Sequence[uuid.UUID | str],
    output_dir: Path | None = None,
    mails: Iterable[tuple[str, str]] = (),
    *,
    requested_runs: Sequence[uuid.UUID | str] = (),
    expected_mails: Iterable[tuple[str, str]] = (),
    expected_slots: Iterable[tuple[uuid.UUID, datetime]] = (),
    outbox_grace: timedelta = OUTBOX_GRACE,
) -> Verdict:
    """The verdict, for the figures; raises InvariantViolated when anything is broken."""
    verdict = await check_invariants(
        db,
        report_ids,
        output_dir,
        mails,
        requested_runs=requested_runs,
        expected_mails=expected_mails,
        expected_slots=expected_slots,
        outbox_grace=outbox_grace,
    )
    if verdict.problems:
        raise InvariantViolated("\n".join(verdict.problems))
    return verdict
