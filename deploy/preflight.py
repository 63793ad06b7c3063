"""Checks that PostgreSQL and RabbitMQ answer; says in one line how to start whichever does not,
and whether RabbitMQ's management UI is there (with the command that turns it on if not)."""

import asyncio
import logging
import sys
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import aio_pika
import asyncpg

from deploy.bootstrap import on_database
from shared.settings import BrokerSettings, DatabaseSettings

START_POSTGRES = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
# `-detached` returns before the node registers, and await_startup fails at once on an unseen node.
START_RABBITMQ = "rabbitmq-server -detached && sleep 5 && rabbitmqctl await_startup"
ENABLE_MANAGEMENT_UI = "rabbitmq-plugins enable rabbitmq_management"
MANAGEMENT_PORT = 15672


async def _postgres_problem(settings: DatabaseSettings) -> str | None:
    server_dsn = on_database(settings.database_dsn, "postgres")
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


def management_ui_url(settings: BrokerSettings) -> str:
    host = urlsplit(settings.amqp_url.get_secret_value()).hostname or "127.0.0.1"
    return f"http://{host}:{MANAGEMENT_PORT}"


def management_ui_note(url: str, timeout: float = 2.0) -> str:
    """Where the management UI is, or the one command that enables it; never changes the
    broker itself (it may be someone else's)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout):
            pass
    except urllib.error.HTTPError:
        pass  # it answered: an HTTP error page is still the UI
    except OSError:
        return (
            f"RabbitMQ management UI: not available at {url}; to turn it on: {ENABLE_MANAGEMENT_UI}"
        )
    return f"RabbitMQ management UI: {url}"


if __name__ == "__main__":
    logging.getLogger("aiormq").setLevel(logging.CRITICAL)
    found = asyncio.run(problems())
    for problem in found:
        print(problem, file=sys.stderr)
    if not found:
        print(management_ui_note(management_ui_url(BrokerSettings())))
    sys.exit(1 if found else 0)
