"""Every queue has exactly one owner: the consumer that declares it (publishers declare none)."""

from collections import Counter

from shared.topology import (
    NOTIFICATION_DELAY_TIERS,
    NOTIFIER_QUEUE,
    NOTIFIER_RETRY_QUEUE,
    QUEUES,
    RUNNER_QUEUE,
    queues_declared_by,
)

CONSUMED_QUEUES = (RUNNER_QUEUE, NOTIFIER_QUEUE, NOTIFIER_RETRY_QUEUE)


def test_the_consumers_together_declare_every_queue_exactly_once() -> None:
    declared = Counter(
        spec.name for consumer in CONSUMED_QUEUES for spec in queues_declared_by(consumer)
    )
    assert set(declared) == {spec.name for spec in QUEUES}
    assert set(declared.values()) == {1}


def test_a_consumer_declares_its_own_queue_first() -> None:
    for consumer in CONSUMED_QUEUES:
        assert queues_declared_by(consumer)[0].name == consumer


def test_the_retry_consumer_owns_the_delay_queues_it_is_fed_from() -> None:
    assert [spec.name for spec in queues_declared_by(NOTIFIER_RETRY_QUEUE)[1:]] == [
        f"{NOTIFIER_RETRY_QUEUE}.delay-{tier}" for tier in range(1, NOTIFICATION_DELAY_TIERS + 1)
    ]
    assert [spec.name for spec in queues_declared_by(RUNNER_QUEUE)] == [RUNNER_QUEUE]
    assert [spec.name for spec in queues_declared_by(NOTIFIER_QUEUE)] == [NOTIFIER_QUEUE]
