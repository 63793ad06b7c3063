"""What a report may hold: size limits per field, and recipients that are valid and allowed."""

from typing import Any

from email_validator import EmailNotValidError, validate_email

from services.api.errors import FieldError
from services.api.settings import ApiSettings
from shared.settings import RecipientSettings, recipient_domain

# A listed domain is the operator's word that mail there arrives, even when it is a special-use
# name (corp.local) that email-validator refuses: only the local part is checked, against a
# domain email-validator accepts.
STAND_IN_DOMAIN = "listed-domain.example.com"


class InvalidRecipient(ValueError):
    """Not an e-mail address, or its domain is not in ALLOWED_RECIPIENT_DOMAINS."""


def normalized_recipient(address: str, settings: RecipientSettings) -> str:
    """The address as it is stored (domain in lower case); raises InvalidRecipient."""
    domain = recipient_domain(address)
    if not settings.allows_recipient(address):
        raise InvalidRecipient(
            f"{address!r}: the domain {domain!r} is not in ALLOWED_RECIPIENT_DOMAINS"
        )
    listed = domain in settings.allowed_recipient_domains
    local, at, _ = address.strip().rpartition("@")
    checked = f"{local}@{STAND_IN_DOMAIN}" if listed and at else address
    try:
        result = validate_email(checked, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidRecipient(f"{address!r} is not a valid email address: {error}") from error
    return f"{result.local_part}@{domain}" if listed else result.normalized


def _too_long(field: str, value: str | None, limit: int, setting: str) -> None:
    if value is not None and len(value) > limit:
        raise FieldError(
            422,
            field,
            f"String should have at most {limit} characters ({setting}); it has {len(value)}",
            "string_too_long",
        )


def _too_slow(timeout_seconds: int | None, cap: float) -> None:
    if timeout_seconds is not None and timeout_seconds > cap:
        raise FieldError(
            422,
            "timeout_seconds",
            f"Input should be at most {cap:g} seconds (MAX_STATEMENT_TIMEOUT_SECONDS, or "
            f"STATEMENT_TIMEOUT_SECONDS when that is unset); it is {timeout_seconds}",
            "less_than_equal",
        )


def checked_report_fields(fields: dict[str, Any], settings: ApiSettings) -> dict[str, Any]:
    """`fields` (those sent) within the configured limits, recipients normalized; a field
    over its limit or a refused recipient raises a 422 naming it."""
    _too_long("name", fields.get("name"), settings.max_report_name_chars, "MAX_REPORT_NAME_CHARS")
    _too_long(
        "description",
        fields.get("description"),
        settings.max_report_description_chars,
        "MAX_REPORT_DESCRIPTION_CHARS",
    )
    _too_long(
        "sql_query", fields.get("sql_query"), settings.max_report_sql_chars, "MAX_REPORT_SQL_CHARS"
    )
    _too_slow(fields.get("timeout_seconds"), settings.statement_timeout_cap)
    recipients = fields.get("recipients")
    if recipients is None:
        return fields
    if len(recipients) > settings.max_report_recipients:
        raise FieldError(
            422,
            "recipients",
            f"List should have at most {settings.max_report_recipients} items "
            f"(MAX_REPORT_RECIPIENTS); it has {len(recipients)}",
            "too_long",
        )
    normalized = []
    for index, address in enumerate(recipients):
        try:
            normalized.append(normalized_recipient(address, settings))
        except InvalidRecipient as error:
            raise FieldError(
                422, "recipients", str(error), "invalid_recipient", "body", (index,)
            ) from error
    return {**fields, "recipients": normalized}
