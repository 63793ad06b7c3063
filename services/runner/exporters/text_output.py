"""Makes asyncpg hand over PostgreSQL's own text output of each column, as COPY writes it.

asyncpg decodes most types from the binary protocol into Python objects; turning those back
into text would re-implement PostgreSQL's output functions (numerics, time zones, arrays,
intervals...). Declaring a column type as `text` in text format makes the server send its
text output and asyncpg pass it through as `str`, decoded in C. asyncpg's public
`set_builtin_type_codec` refuses arrays, composites and ranges; the connection's codec
settings, which it calls itself, accept any type (asyncpg is pinned, see requirements.lock).
"""

from collections.abc import Iterable
from typing import Any

import asyncpg
from asyncpg.types import Attribute

KEEP_ALL: frozenset[str] = frozenset()


def use_text_output(
    connection: "asyncpg.Connection[Any]",
    columns: Iterable[Attribute],
    keep_native: frozenset[str] = KEEP_ALL,
) -> None:
    """Text output for every column type except the pg_catalog types named in `keep_native`.

    Takes effect for statements prepared afterwards.
    """
    settings = connection.get_settings()
    for column in columns:
        kind = column.type
        if kind.schema == "pg_catalog" and kind.name in keep_native:
            continue
        settings.set_builtin_type_codec(kind.oid, kind.name, kind.schema, "scalar", "text", "text")
