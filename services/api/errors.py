"""Error answers: a 4xx that names the field, a 503 for a dependency that is down, never a trace."""

import logging
from typing import Any, ClassVar

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.api.security_headers import SECURITY_HEADERS
from services.api.sql_check import DataSourceUnavailable
from shared.database import database_unavailable

log = logging.getLogger(__name__)


class FieldError(Exception):
    """A 4xx whose body has the same shape as FastAPI's own validation errors."""

    def __init__(
        self,
        status_code: int,
        field: str,
        message: str,
        kind: str,
        location: str = "body",
        path: tuple[str | int, ...] = (),
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.field = field
        self.message = message
        self.kind = kind
        self.location = location
        # Below the field: a list index or a nested key, e.g. ("recipients", 3).
        self.path = path

    def body(self) -> dict[str, Any]:
        loc = [self.location, *([self.field] if self.field else []), *self.path]
        return {"detail": [{"loc": loc, "msg": self.message, "type": self.kind}]}


class DetailError(Exception):
    """A 4xx whose body is one sentence: `{"detail": "..."}`."""

    status_code: ClassVar[int]
    headers: ClassVar[dict[str, str] | None] = None

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DetailError):
    """No report or run with the id the request named."""

    status_code = status.HTTP_404_NOT_FOUND

    def __init__(self, what: str, identifier: object) -> None:
        super().__init__(f"{what} {identifier} not found")


class Unauthenticated(DetailError):
    """No credential, or one that is unknown, revoked or expired (RFC 9110: 401 names a scheme)."""

    status_code = status.HTTP_401_UNAUTHORIZED
    headers: ClassVar[dict[str, str] | None] = {"WWW-Authenticate": "Bearer"}

    def __init__(self, detail: str = "sign in or send Authorization: Bearer <token>") -> None:
        super().__init__(detail)


class Forbidden(DetailError):
    """Signed in, but the role (or the ownership) does not allow this."""

    status_code = status.HTTP_403_FORBIDDEN


class Conflict(DetailError):
    """The change would break a rule of the data (e.g. no admin left)."""

    status_code = status.HTTP_409_CONFLICT


class RunHasNoFile(DetailError):
    """The run is not finished yet, or it failed."""

    status_code = status.HTTP_409_CONFLICT


class RunFinished(DetailError):
    """The run already ended, so there is nothing to cancel."""

    status_code = status.HTTP_409_CONFLICT


class RunFileRemoved(DetailError):
    """The run wrote a file, but it is no longer in the output directory."""

    status_code = status.HTTP_410_GONE


class BadLinkSignature(DetailError):
    """A signed download link whose signature does not match its run and expiry."""

    status_code = status.HTTP_403_FORBIDDEN

    def __init__(self) -> None:
        super().__init__(
            "the download link's signature is not valid: it was changed, or it is for "
            "another run; use the link exactly as it was mailed"
        )


class LinkExpired(DetailError):
    """A genuine signed download link past its expiry."""

    status_code = status.HTTP_410_GONE


class ErrorDetail(BaseModel):
    """The body of a DetailError (and of a 503), for the OpenAPI schema."""

    detail: str


def documented(description: str) -> dict[str, Any]:
    """An OpenAPI `responses` entry for an answer shaped as ErrorDetail."""
    return {"model": ErrorDetail, "description": description}


REPORT_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: documented("No report with that id")}
RUN_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: documented("No run with that id")}


async def _detail_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DetailError)
    return JSONResponse({"detail": error.detail}, error.status_code, headers=error.headers)


async def _field_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, FieldError)
    return JSONResponse(error.body(), error.status_code)


# Fields whose values are write-only: a validation error names them but never echoes them.
WRITE_ONLY_FIELDS = frozenset({"channels"})


async def _validation_error(_: Request, error: Exception) -> JSONResponse:
    """FastAPI's own 422, less the `input` of write-only fields (a webhook's URL or secret)."""
    assert isinstance(error, RequestValidationError)
    errors = [
        {
            key: value
            for key, value in entry.items()
            if not (key in ("input", "ctx") and WRITE_ONLY_FIELDS & set(map(str, entry["loc"])))
        }
        for entry in error.errors()
    ]
    return JSONResponse({"detail": jsonable_encoder(errors)}, status.HTTP_422_UNPROCESSABLE_CONTENT)


async def _database_unavailable(_: Request, error: Exception) -> JSONResponse:
    log.error("database error: %s", error)
    return JSONResponse(
        {"detail": "PostgreSQL is unavailable; try again shortly"},
        status.HTTP_503_SERVICE_UNAVAILABLE,
    )


async def _database_error(request: Request, error: Exception) -> JSONResponse:
    if database_unavailable(error):
        return await _database_unavailable(request, error)
    return await _unexpected(request, error)


async def _data_source_unavailable(_: Request, error: Exception) -> JSONResponse:
    return JSONResponse(
        {"detail": f"the data source did not answer, so the SQL could not be checked: {error}"},
        status.HTTP_503_SERVICE_UNAVAILABLE,
    )


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    # Starlette answers this one from its outermost middleware, outside SecurityHeaders.
    return JSONResponse(
        {"detail": "internal error; the API log has the details"},
        status.HTTP_500_INTERNAL_SERVER_ERROR,
        headers=SECURITY_HEADERS,
    )


# FastAPI's answer to a body that is not UTF-8 (json.loads raised something else than a JSON
# error): a 400 no route documents.
_UNPARSABLE_BODY = "There was an error parsing the body"


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == status.HTTP_400_BAD_REQUEST and error.detail == _UNPARSABLE_BODY:
        refused = FieldError(422, "", "the body is not JSON in UTF-8", "json_invalid")
        return JSONResponse(refused.body(), refused.status_code)
    return await http_exception_handler(request, error)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(FieldError, _field_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DetailError, _detail_error)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(ConnectionError, _database_unavailable)
    # A statement or connect attempt that got no answer within its timeout (shared/database.py).
    app.add_exception_handler(TimeoutError, _database_unavailable)
    app.add_exception_handler(DataSourceUnavailable, _data_source_unavailable)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(Exception, _unexpected)
