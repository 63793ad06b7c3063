"""Scenario 2: manual runs requested through the API while every service's connection to
RabbitMQ is cut, twice briefly and once for as long as a broker restart takes. Every run
completes once and every recipient gets exactly one mail about each run.

`make test` requests 100 runs; `bench/faults.py` 1,000. The real broker restart is in
tests/e2e/test_reconnection.py (`make faults`).
"""

import asyncio
import time

from pydantic import SecretStr

from services.api.settings import ApiSettings
from tests.support.api import api_client, create_report, wait_for_health
from tests.support.environment import AMQP_URL
from tests.support.fault_figures import OUTBOX_GRACE, Figures, record_figures, short_or_long
from tests.support.fault_proxy import FaultProxy
from tests.support.invariants import assert_invariants
from tests.support.runs import wait_until_all_finished
from tests.support.scenarios import Scenario
from tests.support.services import FAST_RECOVERY
from tests.support.smtp_server import SmtpServer

RUNS = short_or_long(100, 1_000)
RECIPIENTS = ["ana@example.com", "bo@example.com"]
# (seconds into the requests, seconds cut): two blips, then one as long as a broker restart.
CUTS = [(0.2, 0.5), (0.5, 0.5), (0.5, 5.0)]
PUBLISH_TIMEOUT_SECONDS = "3"


async def _cut_now_and_then(proxy: FaultProxy) -> None:
    for pause, outage in CUTS:
        await asyncio.sleep(pause)
        proxy.cut()
        await asyncio.sleep(outage)
        proxy.restore()


async def _wait_for_mails(smtp: SmtpServer, count: int, within: float) -> None:
    for _ in range(int(within / 0.2)):
        if len(smtp.run_mails()) >= count:
            return
        await asyncio.sleep(0.2)


async def test_runs_requested_while_rabbitmq_connections_are_cut_complete_and_mail_once(
    api_settings: ApiSettings, scenario: Scenario, rabbitmq_proxy: FaultProxy, smtp: SmtpServer
) -> None:
    db = scenario.db
    through_proxy = rabbitmq_proxy.url(AMQP_URL)
    common = {"AMQP_URL": through_proxy, "PUBLISH_TIMEOUT_SECONDS": PUBLISH_TIMEOUT_SECONDS}
    scenario.start("runner", **common, **FAST_RECOVERY)
    scenario.start("notifier", **common, **smtp.notifier_env())
    settings = scenario.api_settings(
        api_settings,
        amqp_url=SecretStr(through_proxy),
        publish_timeout_seconds=float(PUBLISH_TIMEOUT_SECONDS),
    )
    async with api_client(settings) as client:
        report_id = await create_report(
            client, "SELECT 1 AS one", recipients=RECIPIENTS, notify_on="ALWAYS"
        )
        await wait_for_health(client, 200)
        cuts = asyncio.create_task(_cut_now_and_then(rabbitmq_proxy))
        responses = [await client.post(f"/api/reports/{report_id}/run") for _ in range(RUNS)]
        await cuts
        last_cut_ended = time.monotonic()
        run_ids = [response.json()["id"] for response in responses]
        runs = await wait_until_all_finished(db, run_ids, within=short_or_long(120, 600))
        await _wait_for_mails(smtp, RUNS * len(RECIPIENTS), within=short_or_long(60, 300))
        recovery_seconds = time.monotonic() - last_cut_ended

    mails = smtp.run_mails()
    assert [response.status_code for response in responses] == [202] * RUNS
    assert {run["status"] for run in runs} == {"SUCCESS"}
    assert set(mails) == {(recipient, run_id) for run_id in run_ids for recipient in RECIPIENTS}
    verdict = await assert_invariants(
        db,
        [report_id],
        scenario.output_dir,
        mails,
        requested_runs=run_ids,
        expected_mails=[(recipient, run_id) for run_id in run_ids for recipient in RECIPIENTS],
        outbox_grace=OUTBOX_GRACE,
    )
    record_figures(
        Figures(
            f"2. {RUNS:,} manual runs, RabbitMQ connections cut 3 times",
            requested=RUNS,
            completed=len(runs),
            duplicates=verdict.duplicates,
            lost=verdict.lost,
            recovery_seconds=recovery_seconds,
            notes=f"{len(mails)} mails for {RUNS} runs x {len(RECIPIENTS)} recipients",
        )
    )
