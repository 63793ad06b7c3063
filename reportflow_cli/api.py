"""The HTTP API as the command line calls it: one client, and errors turned into sentences."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from reportflow_cli.credentials import Connection, current_connection

TIMEOUT_SECONDS = 30.0
# FastAPI's own answers for a path or a method it does not know: an API older than this command.
MISSING_ROUTE_DETAILS = frozenset({"Not Found", "Method Not Allowed"})


class ApiError(Exception):
    """An answer the command cannot go on with; its message is meant for the user."""

    def __init__(self, message: str, status_code: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body


def error_detail(body: Any) -> str:
    """FastAPI's `detail`: one sentence, or a list of field errors named `field: message`."""
    detail = body.get("detail") if isinstance(body, dict) else body
    if isinstance(detail, list):
        return "; ".join(_field_message(item) for item in detail)
    return str(detail)


def _field_message(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    location = [str(part) for part in item.get("loc", []) if part not in ("body", "query")]
    return f"{'.'.join(location)}: {item.get('msg', '')}" if location else str(item.get("msg"))


class Api:
    """Synchronous calls to one ReportFlow API, with the caller's token."""

    def __init__(self, connection: Connection, client: httpx.Client) -> None:
        self.connection = connection
        self.client = client

    def call(self, method: str, path: str, *, feature: str | None = None, **kwargs: Any) -> Any:
        """The decoded JSON answer (None for 204). `feature` names what an API that lacks the
        route does not have, for a clear message instead of a bare 404 or 405."""
        response = self.send(method, path, **kwargs)
        self.raise_for_status(response, feature)
        return response.json() if response.content else None

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.client.request(method, path, **kwargs)
        except httpx.TransportError as error:
            raise ApiError(f"cannot reach the API at {self.connection.url}: {error}") from error

    def raise_for_status(self, response: httpx.Response, feature: str | None = None) -> None:
        if response.is_success:
            return
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        detail = error_detail(body)
        raise ApiError(self._message(response, detail, feature), response.status_code, body)

    def _message(self, response: httpx.Response, detail: str, feature: str | None) -> str:
        status = response.status_code
        if status == 401:
            return (
                f"not signed in to {self.connection.url} ({detail}): "
                "set REPORTFLOW_TOKEN or run `reportflow login`"
            )
        if feature and status in (404, 405) and detail in MISSING_ROUTE_DETAILS:
            return f"the API at {self.connection.url} does not support {feature} yet"
        if feature and status == 422 and "parameters" in detail:
            return f"the API refused {feature}: {detail}"
        return f"{response.request.method} {response.request.url.path} answered {status}: {detail}"


@contextmanager
def open_api(connection: Connection | None = None) -> Iterator[Api]:
    connection = connection or current_connection()
    headers = {"Authorization": f"Bearer {connection.token}"} if connection.token else {}
    with httpx.Client(base_url=connection.url, headers=headers, timeout=TIMEOUT_SECONDS) as client:
        yield Api(connection, client)
