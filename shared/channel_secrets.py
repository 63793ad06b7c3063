"""Seals a channel's URL and secret for the database and opens them again (Fernet, one key).

The api seals when a report is saved; only the notifier opens them, to deliver. The key comes
from CHANNEL_SECRETS_KEY and has no default: without it no channel can be saved or used.
"""

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr


class ChannelSecretsUnavailable(Exception):
    """CHANNEL_SECRETS_KEY is missing or invalid, or a sealed value was made with another key."""


class ChannelSealer:
    def __init__(self, key: SecretStr | None) -> None:
        if key is None:
            raise ChannelSecretsUnavailable(
                "CHANNEL_SECRETS_KEY is not set: a report's channels cannot be used without it"
            )
        try:
            self._fernet = Fernet(key.get_secret_value().encode())
        except ValueError:
            raise ChannelSecretsUnavailable(
                "CHANNEL_SECRETS_KEY is not a Fernet key (32 url-safe base64-encoded bytes)"
            ) from None

    def seal(self, values: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(values).encode()).decode()

    def open(self, sealed: str) -> dict[str, Any]:
        try:
            values = json.loads(self._fernet.decrypt(sealed.encode()))
        except (InvalidToken, ValueError):
            raise ChannelSecretsUnavailable(
                "a channel's sealed settings do not open with CHANNEL_SECRETS_KEY "
                "(was the key changed?)"
            ) from None
        if not isinstance(values, dict):
            raise ChannelSecretsUnavailable("a channel's sealed settings are not an object")
        return values
