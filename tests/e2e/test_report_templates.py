"""A report's templates through the running services and the real SMTP server: the subject
says which week it is, the body is rendered (escaped in the HTML part), and the attachment
has the templated file name."""

import asyncio
import uuid
from datetime import datetime

from services.api.settings import ApiSettings
from shared.report_parameters.date_macros import local_date, macro_dates
from tests.support.api import api_client, create_report, run_and_wait
from tests.support.scenarios import Scenario
from tests.support.smtp_server import ReceivedMail, SmtpServer

RECIPIENT = "sales@example.com"
ZONE = "Europe/Berlin"


async def _mail_of(smtp: SmtpServer, run_id: uuid.UUID) -> ReceivedMail:
    for _ in range(300):
        mails = smtp.mails(run_id, RECIPIENT)
        if mails:
            return mails[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no mail about run {run_id}")


async def test_a_templated_report_is_mailed_with_its_week_body_and_file_name(
    api_settings: ApiSettings, scenario: Scenario, smtp: SmtpServer
) -> None:
    scenario.start("runner")
    scenario.start("notifier", **smtp.notifier_env())
    async with api_client(scenario.api_settings(api_settings)) as client:
        report_id = await create_report(
            client,
            "SELECT n, 'a<b' AS label FROM generate_series(1, 3) AS n",
            recipients=[RECIPIENT],
            timezone=ZONE,
            subject_template=(
                "Sales week {{ macros.last_week_start | date('%V') }}: "
                "{{ macros.last_week_start }} to {{ macros.last_week_end }}"
            ),
            body_template="{{ rows }} rows <for> {{ report_name }}\nStatus: {{ status }}",
            file_name_template="sales_{{ macros.last_week_start }}",
        )
        run = await run_and_wait(client, report_id, 60)
    assert run["status"] == "SUCCESS", run
    week = macro_dates(local_date(datetime.fromisoformat(run["queued_at"]), ZONE))
    start, end = week["last_week_start"], week["last_week_end"]

    mail = (await _mail_of(smtp, uuid.UUID(run["id"]))).message

    assert mail["Subject"] == f"Sales week {start:%V}: {start} to {end}"
    plain = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    assert plain is not None
    assert html is not None
    assert str(plain.get_content()).startswith("3 rows <for> ")
    assert "3 rows &lt;for&gt; " in str(html.get_content())
    attachments = [part.get_filename() for part in mail.iter_attachments()]
    assert attachments == [f"sales_{start}.csv"]
    assert run["output_path"].endswith(f"sales_{start}.csv")
