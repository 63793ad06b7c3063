"""Settings of who may use the API: the bootstrap admin, its token, the metrics token, sessions.

None of them has a usable default, and a weak value stops the API at start-up: a password
shorter than MIN_PASSWORD_LENGTH, a token shorter than MIN_TOKEN_LENGTH, or a placeholder.
"""

from typing import Self

from pydantic import EmailStr, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings

from shared.secret_strength import weak_secret_problem
from shared.settings import ENV_FILE_CONFIG

MIN_PASSWORD_LENGTH = 12
MIN_TOKEN_LENGTH = 32


def _checked(value: SecretStr | None, min_length: int) -> SecretStr | None:
    if value is not None:
        problem = weak_secret_problem(value.get_secret_value(), min_length)
        if problem is not None:
            raise ValueError(problem)
    return value


class AccessSettings(BaseSettings):
    model_config = ENV_FILE_CONFIG

    # Created as the first admin when no admin exists; adopts reports that have no owner.
    reportflow_admin_email: EmailStr | None = None
    reportflow_admin_password: SecretStr | None = None
    # Accepted as the bootstrap admin's credential (automation, CI); at least 32 characters.
    reportflow_admin_token: SecretStr | None = None
    # When set, GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`; open otherwise.
    metrics_token: SecretStr | None = None
    # An https:// URL makes the session cookie Secure.
    public_base_url: str = "http://localhost:8000"
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)

    @field_validator(
        "reportflow_admin_email",
        "reportflow_admin_password",
        "reportflow_admin_token",
        "metrics_token",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """`NAME=` (an empty line in .env, `${NAME:-}` in compose) means not set."""
        return None if value == "" else value

    @field_validator("reportflow_admin_password")
    @classmethod
    def _strong_password(cls, value: SecretStr | None) -> SecretStr | None:
        return _checked(value, MIN_PASSWORD_LENGTH)

    @field_validator("reportflow_admin_token", "metrics_token")
    @classmethod
    def _strong_token(cls, value: SecretStr | None) -> SecretStr | None:
        return _checked(value, MIN_TOKEN_LENGTH)

    @model_validator(mode="after")
    def _admin_is_complete(self) -> Self:
        if (self.reportflow_admin_email is None) != (self.reportflow_admin_password is None):
            raise ValueError(
                "REPORTFLOW_ADMIN_EMAIL and REPORTFLOW_ADMIN_PASSWORD go together (both or neither)"
            )
        if self.reportflow_admin_token is not None and self.reportflow_admin_email is None:
            raise ValueError(
                "REPORTFLOW_ADMIN_TOKEN needs REPORTFLOW_ADMIN_EMAIL: it acts as that admin"
            )
        return self

    @property
    def admin_email(self) -> str | None:
        return None if self.reportflow_admin_email is None else self.reportflow_admin_email.lower()

    @property
    def secure_cookies(self) -> bool:
        return self.public_base_url.lower().startswith("https://")
