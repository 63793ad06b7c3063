"""API settings: the shared blocks, who may use the API, and where it listens."""

from pydantic import Field

from services.api.access_settings import AccessSettings
from shared.settings import BrokerSettings, DatabaseSettings, LoggingSettings, OutputSettings


class ApiSettings(
    DatabaseSettings, BrokerSettings, OutputSettings, LoggingSettings, AccessSettings
):
    api_host: str = "0.0.0.0"
    api_port: int = Field(default=8000, ge=1, le=65535)
    # Upper bound for `POST /api/reports/{id}/run?wait=N`.
    max_run_wait_seconds: float = Field(default=300.0, gt=0)
