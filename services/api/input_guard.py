"""Refuses text PostgreSQL cannot store (lone surrogates, NUL) anywhere in a request, by name.

JSON may carry `"\\ud800"`, which Python decodes into a str that no UTF-8 encoder accepts: left
alone it would reach asyncpg (a 500) or an error answer that cannot be rendered (a dropped
connection). NUL is valid Unicode but not storable in a PostgreSQL text value. The check runs as
an application-wide dependency, so it covers every route, before any model is validated.
"""

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from fastapi import Request
from fastapi.routing import APIRoute

from services.api.errors import FieldError

Location = tuple[str | int, ...]


# One regular-expression scan per string: a character loop in Python cost ~30 ms of the event
# loop for a body at MAX_REQUEST_BYTES.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def text_problem(text: str) -> str | None:
    """Why `text` cannot be stored, or None when it can."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    position, character = found.start(), found.group()
    if character == "\x00":
        return f"must not contain NUL characters (found at position {position})"
    return (
        f"must be valid Unicode text: the lone surrogate U+{ord(character):04X} "
        f"at position {position} cannot be encoded"
    )


def printable_key(key: str) -> str:
    """A JSON key that can itself be echoed in an error answer."""
    return key.encode("utf-8", "backslashreplace").decode("utf-8")


def _strings(value: object, location: Location) -> Iterator[tuple[Location, str]]:
    """Every key and string value of a decoded JSON document, with where it is."""
    if isinstance(value, str):
        yield location, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            key_location = (*location, printable_key(str(key)))
            yield key_location, str(key)
            yield from _strings(item, key_location)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*location, index))


def first_unencodable(value: object, location: Location) -> tuple[Location, str] | None:
    """The location of the first string that cannot be stored, and why."""
    for where, text in _strings(value, location):
        problem = text_problem(text)
        if problem is not None:
            return where, problem
    return None


def _refuse(found: tuple[Location, str] | None) -> None:
    if found is not None:
        (location, *names), problem = found
        field, *path = names or [""]
        raise FieldError(422, str(field), problem, "unencodable_text", str(location), tuple(path))


async def _json_body(request: Request) -> Any:
    """The body FastAPI already decoded for this route (cached on the request), else None."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or route.body_field is None:
        return None
    try:
        return await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):  # not JSON: the route's model refuses it
        return None


async def reject_unencodable_input(request: Request) -> None:
    """Path parameters, query parameters and the JSON body, in that order."""
    _refuse(first_unencodable(dict(request.path_params), ("path",)))
    for name, value in request.query_params.multi_items():
        _refuse(first_unencodable({name: value}, ("query",)))
    _refuse(first_unencodable(await _json_body(request), ("body",)))
