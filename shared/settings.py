"""Settings blocks shared by the services, read from the environment and an optional `.env`."""

from datetime import timedelta
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from shared.secret_strength import weak_secret_problem

# A refused value is not echoed in the error: it may be a URL with its password.
ENV_FILE_CONFIG = SettingsConfigDict(
    env_file=".env", env_file_encoding="utf-8", extra="ignore", hide_input_in_errors=True
)


def asyncpg_dsn(url: str) -> str:
    """A plain `postgresql://` URL as asyncpg accepts it (no SQLAlchemy driver suffix)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError("not a database URL (expected postgresql://user:password@host/name)")
    return f"postgresql://{rest}" if scheme.startswith("postgres") else url


def sqlalchemy_url(url: str) -> str:
    """The same URL with the asyncpg driver named, as SQLAlchemy's async engine needs."""
    return asyncpg_dsn(url).replace("postgresql://", "postgresql+asyncpg://", 1)


class DatabaseSettings(BaseSettings):
    """The system of record and the database that report SQL runs against.

    Both URLs may carry a password, so they are secrets: repr, str and model_dump hide them,
    and `database_dsn` / `data_source_dsn` are the only ways to the plain value.
    """

    model_config = ENV_FILE_CONFIG

    database_url: SecretStr = SecretStr("postgresql://postgres@127.0.0.1:5432/reportflow")
    # No default and no fallback to database_url: report SQL must not run on the system of
    # record. The runner and the API refuse a role that may do more than read, unless allowed.
    data_source_url: SecretStr | None = None
    allow_privileged_data_source: bool = False
    db_pool_size: int = Field(default=5, ge=1)
    # Published outbox rows are kept this long (to trace an event), then deleted.
    outbox_retention_hours: float = Field(default=168.0, gt=0)

    @field_validator("database_url", "data_source_url")
    @classmethod
    def _plain_postgres_url(cls, url: SecretStr | None) -> SecretStr | None:
        plain = None if url is None else url.get_secret_value()
        # Empty counts as unset, as compose passes an unset variable.
        return SecretStr(asyncpg_dsn(plain)) if plain else None

    @property
    def database_dsn(self) -> str:
        """The system of record's plain URL, password included: for a driver, never a log."""
        return self.database_url.get_secret_value()

    @property
    def data_source_dsn(self) -> str | None:
        """DATA_SOURCE_URL's plain value, None when unset (no fallback): for a driver only."""
        return None if self.data_source_url is None else self.data_source_url.get_secret_value()

    @property
    def outbox_retention(self) -> timedelta:
        return timedelta(hours=self.outbox_retention_hours)


class BrokerSettings(BaseSettings):
    """RabbitMQ connection and the names of this deployment's exchanges and queues."""

    model_config = ENV_FILE_CONFIG

    amqp_url: SecretStr = SecretStr("amqp://guest:guest@127.0.0.1:5672/")
    # Prefixed to every exchange and queue name, so test runs and deployments sharing a broker
    # never collide.
    amqp_namespace: str = ""
    publish_timeout_seconds: float = Field(default=10.0, gt=0)
    # Deliveries of one message before it is dead-lettered instead of retried again.
    delivery_limit: int = Field(default=5, ge=1)


class SmtpSettings(BaseSettings):
    """Outgoing mail server."""

    model_config = ENV_FILE_CONFIG

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_from: str = "reportflow@localhost"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)


class OutputSettings(BaseSettings):
    """Where report files are written and read back from."""

    model_config = ENV_FILE_CONFIG

    output_dir: Path = Path("./outputs")


class LoggingSettings(BaseSettings):
    """How the services log: `text` for people, `json` for log collectors."""

    model_config = ENV_FILE_CONFIG

    log_level: str = "INFO"
    log_format: str = "text"


class RecipientSettings(BaseSettings):
    """Which mail domains reports may send to: checked when a report is saved and again when
    its mail is sent. Empty allows every deliverable domain."""

    model_config = ENV_FILE_CONFIG

    # Comma-separated, e.g. `example.com,corp.local`; an address matches when its domain is one
    # of these exactly. A listed internal domain (corp.local) is accepted although it is not
    # deliverable on the internet: the operator vouched for it.
    allowed_recipient_domains: Annotated[frozenset[str], NoDecode] = frozenset()

    @field_validator("allowed_recipient_domains", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return comma_separated_names(value)

    def allows_recipient(self, address: str) -> bool:
        if not self.allowed_recipient_domains:
            return True
        return recipient_domain(address) in self.allowed_recipient_domains


def comma_separated_names(value: object) -> object:
    """`a.com, B.org.` (or a list) as a set of lower-case names without a trailing dot."""
    if isinstance(value, str):
        value = value.split(",")
    if isinstance(value, list | tuple | set | frozenset):
        return frozenset(str(name).strip().lower().rstrip(".") for name in value) - {""}
    return value


def recipient_domain(address: str) -> str:
    """The part after the last @, as compared with ALLOWED_RECIPIENT_DOMAINS."""
    return address.rpartition("@")[2].strip().lower().rstrip(".")


class ChannelSettings(BaseSettings):
    """Webhook targets: where they may point, and the key their URLs and secrets are sealed with.

    Read by the api (checked at save, sealed) and the notifier (opened, checked again at send).
    """

    model_config = ENV_FILE_CONFIG

    # Comma-separated host names, IP addresses or CIDRs a webhook may reach although it is
    # private, loopback or otherwise not public, and over plain http (e.g. `hooks.corp.local,
    # 10.1.2.0/24`). Empty: only https URLs whose every address is a public one.
    webhook_allowed_hosts: Annotated[frozenset[str], NoDecode] = frozenset()
    # A Fernet key (`python -c "from cryptography.fernet import Fernet;
    # print(Fernet.generate_key().decode())"`): required once a report has a channel; no default.
    channel_secrets_key: SecretStr | None = None
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    @field_validator("webhook_allowed_hosts", mode="before")
    @classmethod
    def _comma_separated_hosts(cls, value: object) -> object:
        return comma_separated_names(value)


class ObservabilitySettings(BaseSettings):
    """The workers' /healthz and /metrics port (0 turns it off)."""

    model_config = ENV_FILE_CONFIG

    # Loopback unless opened on purpose: metrics are not for everyone on the network
    # (docker-compose.yml sets 0.0.0.0, so Prometheus can scrape the containers).
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=9100, ge=0, le=65535)


class WorkerSettings(DatabaseSettings, BrokerSettings, LoggingSettings, ObservabilitySettings):
    """What every worker service (scheduler, runner, notifier) needs."""

    # SIGTERM: how long in-flight work may take before it is handed back.
    shutdown_timeout_seconds: float = Field(default=30.0, ge=0)


MIN_LINK_SIGNING_KEY_LENGTH = 32


class DownloadLinkSettings(BaseSettings):
    """The key that signs download links in mails (notifier) and checks them (API), and how
    long a link works. No default: the service refuses to start without a strong key."""

    model_config = ENV_FILE_CONFIG

    # Checked even when unset (validate_default), so a missing key stops the service at start.
    link_signing_key: SecretStr | None = Field(default=None, validate_default=True)
    download_link_ttl_hours: float = Field(default=72.0, gt=0, le=24 * 90)

    @field_validator("link_signing_key")
    @classmethod
    def _strong_key(cls, value: SecretStr | None) -> SecretStr:
        if value is None or not value.get_secret_value():
            raise ValueError(
                "LINK_SIGNING_KEY is not set: download links in mails are signed with it. "
                "Generate one: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        problem = weak_secret_problem(value.get_secret_value(), MIN_LINK_SIGNING_KEY_LENGTH)
        if problem is not None:
            raise ValueError(f"LINK_SIGNING_KEY {problem}")
        return value

    @property
    def signing_key(self) -> str:
        """The plain key: for signing and checking links, never a log."""
        assert self.link_signing_key is not None  # the validator refuses None
        return self.link_signing_key.get_secret_value()

    @property
    def download_link_ttl(self) -> timedelta:
        return timedelta(hours=self.download_link_ttl_hours)


class RunTimeoutSettings(BaseSettings):
    """How long a report's query may run: its own `timeout_seconds`, else the default, never
    above the maximum. The API refuses a report over the maximum; the runner caps it again."""

    model_config = ENV_FILE_CONFIG

    # Cancels a report query that runs longer than this (PostgreSQL statement_timeout), for a
    # report without its own timeout_seconds.
    statement_timeout_seconds: float = Field(default=3600.0, gt=0)
    # The most a report's timeout_seconds may ask for; unset: STATEMENT_TIMEOUT_SECONDS.
    max_statement_timeout_seconds: float | None = Field(default=None, gt=0)

    @field_validator("max_statement_timeout_seconds", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def statement_timeout_cap(self) -> float:
        cap = self.max_statement_timeout_seconds
        return self.statement_timeout_seconds if cap is None else cap

    def run_timeout(self, report_timeout_seconds: int | None) -> float:
        """The statement timeout of one run of a report."""
        wanted = report_timeout_seconds or self.statement_timeout_seconds
        return min(wanted, self.statement_timeout_cap)
