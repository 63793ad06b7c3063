"""`reportflow login`: signs in with e-mail and password once, keeps a personal API token."""

import socket
import sys
from typing import Annotated

import typer

from reportflow_cli.api import open_api
from reportflow_cli.credentials import Connection, api_url, store_token
from reportflow_cli.output import console, fail

TOKEN_DAYS = 90


def login(
    email: Annotated[str, typer.Option(prompt=True, help="Your ReportFlow e-mail.")],
    password: Annotated[
        str | None,
        typer.Option(
            help="Asked for when not given (hidden at a terminal); without a terminal, read "
            "from the first line of standard input, so it need not appear in the process list."
        ),
    ] = None,
    days: Annotated[
        int, typer.Option(min=1, max=3650, help="How long the token stays valid.")
    ] = TOKEN_DAYS,
) -> None:
    """Signs in (POST /api/auth/login), creates a personal token (POST /api/tokens) and stores
    it for REPORTFLOW_URL in your config directory, readable only by you."""
    if password is None:
        password = _password_from_user()
    url = api_url()
    with open_api(Connection(url, None)) as api:
        signed_in = api.call("POST", "/api/auth/login", json={"email": email, "password": password})
        csrf = {"X-CSRF-Token": signed_in["csrf_token"]}
        created = api.call(
            "POST",
            "/api/tokens",
            headers=csrf,
            json={
                "name": f"reportflow CLI on {socket.gethostname()}"[:100],
                "expires_in_days": days,
            },
        )
        api.call("POST", "/api/auth/logout", headers=csrf)
    path = store_token(url, created["token"])
    console.print(
        f"signed in to {url} as {signed_in['user']['email']}; token saved in {path} "
        f"(valid {days} days)",
        markup=False,
    )


def _password_from_user() -> str:
    if sys.stdin.isatty():
        return str(typer.prompt("Password", hide_input=True))
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        fail("no password: give --password, or the password as standard input's first line")
    return password
