"""One send through the Mailer protocol and what follows it, with fakes of our own protocols
(Mailer, EventPublisher) in place of the SMTP server and RabbitMQ."""

import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage

from services.notifier.decisions import GiveUp, RetryLater, RetryPolicy
from services.notifier.delivery import publish_retry
from services.notifier.mailer import DeliveryFailed
from services.notifier.senders import Delivered, attempt_delivery
from shared.events import Event, NotificationDeferred, decode_event

POLICY = RetryPolicy(max_attempts=3, base_seconds=30.0, max_seconds=3600.0)
RECIPIENT = "ana@example.com"


@dataclass
class FakeMailer:
    """Answers every send with `failure`, or accepts it; records each recipient sent to."""

    failure: DeliveryFailed | None = None
    sent_to: list[str] = field(default_factory=list)

    async def send(self, message: EmailMessage, recipient: str) -> None:
        self.sent_to.append(recipient)
        if self.failure is not None:
            raise self.failure


@dataclass(frozen=True)
class RawMessage:
    routing_key: str
    body: bytes
    message_id: str
    expiration_seconds: float | None
    event_type: str | None


@dataclass
class FakePublisher:
    raw: list[RawMessage] = field(default_factory=list)

    async def publish(self, event: Event) -> None:
        raise AssertionError("a retry is parked in a delay queue, not published as is")

    async def publish_raw(
        self,
        routing_key: str,
        body: bytes,
        message_id: str,
        expiration_seconds: float | None = None,
        event_type: str | None = None,
    ) -> None:
        self.raw.append(RawMessage(routing_key, body, message_id, expiration_seconds, event_type))


async def test_an_accepted_mail_is_delivered() -> None:
    mailer = FakeMailer()
    assert await attempt_delivery(mailer, EmailMessage(), RECIPIENT, 1, POLICY) == Delivered()
    assert mailer.sent_to == [RECIPIENT]


async def test_a_transient_failure_is_deferred_with_the_right_delay() -> None:
    mailer = FakeMailer(DeliveryFailed("451 try later", transient=True))
    publisher = FakePublisher()

    outcome = await attempt_delivery(mailer, EmailMessage(), RECIPIENT, 2, POLICY)
    assert outcome == RetryLater(60.0, "451 try later")
    assert isinstance(outcome, RetryLater)
    retry = NotificationDeferred(run_id=uuid.uuid4(), recipient=RECIPIENT, attempt=2)
    await publish_retry(publisher, retry, outcome.delay_seconds)

    [parked] = publisher.raw
    assert parked.routing_key == "notification.deferred.delay-2"
    assert parked.expiration_seconds == 60.0
    assert parked.event_type == "notification.deferred"
    assert parked.message_id == retry.event_id.hex
    assert decode_event("notification.deferred", parked.body) == retry


async def test_a_permanent_failure_is_not_retried() -> None:
    mailer = FakeMailer(DeliveryFailed("550 no such user", transient=False))
    outcome = await attempt_delivery(mailer, EmailMessage(), RECIPIENT, 1, POLICY)
    assert outcome == GiveUp("550 no such user")
    assert mailer.sent_to == [RECIPIENT]


async def test_the_last_attempt_fails_for_good_even_when_transient() -> None:
    mailer = FakeMailer(DeliveryFailed("421 busy", transient=True))
    outcome = await attempt_delivery(mailer, EmailMessage(), RECIPIENT, 3, POLICY)
    assert outcome == GiveUp("gave up after 3 attempts; last error: 421 busy")
