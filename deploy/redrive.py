"""Moves dead-lettered messages back to the queue they died in, once their cause is fixed.

    python -m deploy.redrive runner.run-requested            # all of them
    python -m deploy.redrive notifier.run-completed --limit 10
    python -m deploy.redrive runner.run-requested --dry-run  # list only

Safe to repeat: every consumer is idempotent (a run is claimed once, a mail is claimed once).
"""

import argparse
import asyncio
import sys

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from shared.settings import BrokerSettings
from shared.topology import QUEUES, Topology

DEAD_LETTERED_QUEUES = [spec.name for spec in QUEUES if spec.dead_letter_routing_key is None]


async def redrive(queue_base: str, limit: int | None, dry_run: bool) -> int:
    settings = BrokerSettings()
    topology = Topology(settings.amqp_namespace, settings.delivery_limit)
    connection = await aio_pika.connect(settings.amqp_url.get_secret_value())
    moved = 0
    # A dry run holds what it listed unacknowledged until the end, so the queue hands out the
    # next message rather than the same one again; all of them go back when it is done.
    listed: list[AbstractIncomingMessage] = []
    try:
        # A message no queue takes (its consumer has not declared the queue yet) comes back and
        # raises, so it is not acknowledged here and stays in the dead-letter queue.
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        dead_letters = await channel.get_queue(topology.dead_letter_queue(queue_base))
        while limit is None or moved < limit:
            message = await dead_letters.get(no_ack=False, fail=False)
            if message is None:
                break
            print(f"{message.message_id or '-'} {message.body[:200]!r}")
            if dry_run:
                listed.append(message)
                moved += 1
                continue
            await channel.default_exchange.publish(
                aio_pika.Message(
                    message.body,
                    content_type=message.content_type,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    message_id=message.message_id,
                    type=message.type,
                ),
                routing_key=topology.name(queue_base),
            )
            await message.ack()
            moved += 1
        for message in listed:
            await message.nack(requeue=True)
    finally:
        await connection.close()  # anything still unacknowledged goes back to the queue
    return moved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("queue", choices=DEAD_LETTERED_QUEUES)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--dry-run", action="store_true", help="list the messages, move nothing")
    arguments = parser.parse_args()
    moved = asyncio.run(redrive(arguments.queue, arguments.limit, arguments.dry_run))
    verb = "listed" if arguments.dry_run else "re-drove"
    print(f"{verb} {moved} message(s) from {arguments.queue}.dead-letter", file=sys.stderr)


if __name__ == "__main__":
    main()
