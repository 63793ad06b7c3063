"""Where the API is and which token to send: REPORTFLOW_URL, REPORTFLOW_TOKEN, or the token
`reportflow login` stored for that URL in the user's config directory (mode 0600)."""

import json
import os
from dataclasses import dataclass
from pathlib import Path

import typer

DEFAULT_URL = "http://localhost:8000"
TOKENS_FILE = "tokens.json"


@dataclass(frozen=True)
class Connection:
    url: str
    token: str | None


def api_url() -> str:
    return os.environ.get("REPORTFLOW_URL", DEFAULT_URL).rstrip("/")


def config_dir() -> Path:
    """~/.config/reportflow on Linux (XDG_CONFIG_HOME is honoured)."""
    return Path(typer.get_app_dir("reportflow"))


def tokens_path() -> Path:
    return config_dir() / TOKENS_FILE


def stored_tokens() -> dict[str, str]:
    try:
        stored = json.loads(tokens_path().read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return (
        {str(url): str(token) for url, token in stored.items()} if isinstance(stored, dict) else {}
    )


def store_token(url: str, token: str) -> Path:
    """Writes the token file readable by its owner only, from the first byte on."""
    directory = config_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = tokens_path()
    tokens = {**stored_tokens(), url: token}
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # an older file keeps its mode otherwise
    with os.fdopen(descriptor, "w") as file:
        json.dump(tokens, file, indent=2)
    return path


def current_connection() -> Connection:
    url = api_url()
    token = os.environ.get("REPORTFLOW_TOKEN") or stored_tokens().get(url)
    return Connection(url, token)
