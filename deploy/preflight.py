"""Checks that PostgreSQL and RabbitMQ answer; says in one line how to start whichever does not."""

import asyncio
import logging
import sys

import aio_pika
import asyncpg

from shared.settings import BrokerSettings, DatabaseSettings

START_POSTGRES = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
# `-detached` returns before the node registers, and await_startup fails at once on an unseen node.
START_RABBITMQ = "rabbitmq-server -detached && sleep 5 && rabbitmqctl await_startup"


async def _postgres_problem(settings: DatabaseSettings) -> str | None:
    server_dsn = settings.database_dsn.rpartition("/")[0] + "/postgres"
    try:
        connection = await asyncpg.connect(server_dsn, timeout=5)
    except Exception as error:
        host = settings.database_dsn.rpartition("@")[2].partition("/")[0]
        return f"PostgreSQL at {host} is not reachable ({error}); start it: {START_POSTGRES}"
    await connection.close()
    return None


async def _rabbitmq_problem(settings: BrokerSettings) -> str | None:
    url = settings.amqp_url.get_secret_value()
    try:
        connection = await aio_pika.connect(url, timeout=5)
    except Exception as error:
        host = url.rpartition("@")[2].rstrip("/")
        return f"RabbitMQ at {host} is not reachable ({error}); start it: {START_RABBITMQ}"
    await connection.close()
    return None


async def problems() -> list[str]:
    found = await asyncio.gather(
        _postgres_problem(DatabaseSettings()), _rabbitmq_problem(BrokerSettings())
    )
    return [problem for problem in found if problem]


if __name__ == "__main__":
    logging.getLogger("aiormq").setLevel(logging.CRITICAL)
    found = asyncio.run(problems())
    for problem in found:
        print(problem, file=sys.stderr)
    sys.exit(1 if found else 0)
