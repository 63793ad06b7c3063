"""Where the tests find the machine's PostgreSQL and RabbitMQ (overridable for other set-ups)."""

import os

ADMIN_DSN = os.environ.get(
    "TEST_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
AMQP_URL = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
# Where the tests' webhook receivers listen; the services under test allow-list it.
WEBHOOK_TEST_HOST = "127.0.0.1"
