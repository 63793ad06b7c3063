"""API settings: the shared blocks, who may use the API, where it listens and what one request
may hold."""

from pydantic import Field

from services.api.access_settings import AccessSettings
from shared.settings import (
    BrokerSettings,
    ChannelSettings,
    DatabaseSettings,
    DownloadLinkSettings,
    LoggingSettings,
    OutputSettings,
    RecipientSettings,
    RunTimeoutSettings,
)

MEBIBYTE = 1024 * 1024


class ApiSettings(
    DatabaseSettings,
    BrokerSettings,
    OutputSettings,
    LoggingSettings,
    RecipientSettings,
    AccessSettings,
    ChannelSettings,
    DownloadLinkSettings,
    RunTimeoutSettings,
):
    # Loopback unless told otherwise: the container image listens on every interface.
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    # Upper bound for `POST /api/reports/{id}/run?wait=N`.
    max_run_wait_seconds: float = Field(default=300.0, gt=0)
    # Larger request bodies are answered 413 before they are read in full.
    max_request_bytes: int = Field(default=MEBIBYTE, ge=1024)
    # The create/update SQL check gives up after this (lock_timeout and statement_timeout on
    # its connection), so a locked table answers 503 instead of holding the request.
    sql_check_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    # What one report may hold; a report over a limit is refused naming the field.
    max_report_recipients: int = Field(default=100, ge=0)
    max_report_name_chars: int = Field(default=200, ge=1, le=255)  # 255: the column's size
    max_report_description_chars: int = Field(default=10_000, ge=0)
    max_report_sql_chars: int = Field(default=100_000, ge=1)
