"""Mails each open alert's notice once: to the report's owner, or to every admin.

At most once per alert: the notice is claimed (a conditional UPDATE) before anything is sent
and finished after. A notifier that dies between the two leaves the claim, which is flagged
"outcome unknown" and never sent again — a missing notice is visible on the alert, a doubled
one would teach people to ignore them. Only when nobody could be told and every failure was
transient is the claim released for a later check (up to NOTICE_ATTEMPTS times).
"""

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notifier import alert_ledger as ledger
from services.notifier.alert_ledger import ClaimedNotice
from services.notifier.alert_mail import alert_message
from services.notifier.decisions import DeliveryFailed
from services.notifier.mailer import Mailer
from services.notifier.settings import NotifierSettings
from shared.events import utc_now
from shared.models import Role, User

log = logging.getLogger(__name__)
NOTICE_ATTEMPTS = 3
NOTICES_PER_CHECK = 20


@dataclass(frozen=True)
class NoticeOutcome:
    sent: list[str]
    failed: list[tuple[str, DeliveryFailed]]

    @property
    def retry_later(self) -> bool:
        return not self.sent and bool(self.failed) and all(f.transient for _, f in self.failed)

    def summary(self) -> str | None:
        if not self.sent and not self.failed:
            return "nobody to tell: no active owner or admin with an allowed address"
        if not self.failed:
            return None
        return "; ".join(f"{address}: {failure.reply}" for address, failure in self.failed)


async def recipients(session: AsyncSession, notice: ClaimedNotice) -> list[str]:
    """A report's alert goes to its active owner (to the admins when it has none, or the owner
    was deactivated: somebody must hear), and a failing report's to its recipients too when it
    asks; a system alert to every active admin."""
    owner = None
    if notice.report_id is not None and notice.owner_id is not None:
        owner = await session.scalar(
            select(User.email).where(User.id == notice.owner_id, User.is_active.is_(True))
        )
    told = [owner] if owner is not None else await _admins(session)
    if notice.report_id is None:
        return told
    return list(dict.fromkeys([*told, *notice.also_to]))


async def _admins(session: AsyncSession) -> list[str]:
    admins = await session.scalars(
        select(User.email)
        .where(User.role == Role.ADMIN, User.is_active.is_(True))
        .order_by(User.email)
    )
    return list(admins)


class AlertNotices:
    def __init__(
        self, settings: NotifierSettings, sessions: async_sessionmaker[AsyncSession], mailer: Mailer
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._mailer = mailer

    async def send_due(self) -> None:
        async with self._sessions.begin() as session:
            unknown = await ledger.flag_stale_claims(
                session, self._settings.notifier_claim_timeout_seconds
            )
            claimed = await ledger.claim_notices(session, NOTICE_ATTEMPTS, NOTICES_PER_CHECK)
            addressed = [(notice, await recipients(session, notice)) for notice in claimed]
        if unknown:
            log.warning("%d alert notice(s) with an unknown outcome; not sent again", unknown)
        for notice, addresses in addressed:
            outcome = await self._send(notice, addresses)
            await self._record(notice, outcome)

    async def _send(self, notice: ClaimedNotice, addresses: list[str]) -> NoticeOutcome:
        settings = self._settings
        outcome = NoticeOutcome([], [])
        for address in addresses:
            if not settings.allows_recipient(address):
                continue
            message = alert_message(
                notice, settings.smtp_from, address, settings.public_base_url, utc_now()
            )
            try:
                await self._mailer.send(message, address)
            except DeliveryFailed as failure:
                outcome.failed.append((address, failure))
            else:
                outcome.sent.append(address)
        return outcome

    async def _record(self, notice: ClaimedNotice, outcome: NoticeOutcome) -> None:
        context = {"alert_id": notice.alert_id, "report_id": notice.report_id}
        summary = outcome.summary()
        async with self._sessions.begin() as session:
            if outcome.retry_later and notice.attempt < NOTICE_ATTEMPTS:
                await ledger.release_notice(session, notice.alert_id, summary or "")
            else:
                await ledger.finish_notice(session, notice.alert_id, summary)
        if outcome.sent:
            log.warning(
                "alert %s mailed to %d recipient(s)", notice.kind, len(outcome.sent), extra=context
            )
        if summary is not None:
            log.warning("alert %s notice: %s", notice.kind, summary, extra=context)
