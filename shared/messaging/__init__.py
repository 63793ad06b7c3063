"""RabbitMQ adapter (aio-pika): connect, declare, publish with confirms, consume, clean up.

Every other module reaches RabbitMQ through the names exported here.
"""

from shared.messaging.admin import delete_namespace
from shared.messaging.broker import Broker
from shared.messaging.consumer import EventHandler, PermanentFailure, retry_backoff_seconds
from shared.messaging.publisher import OutgoingMessage

__all__ = [
    "Broker",
    "EventHandler",
    "OutgoingMessage",
    "PermanentFailure",
    "delete_namespace",
    "retry_backoff_seconds",
]
