"""Reads a reports file (YAML) into report definitions, every problem named with its file and
line; `${ENV_VAR}` references in strings are read from the environment here."""

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from reportflow_cli.file_schema import (
    entry_fields,
    field_problem,
    normalized,
    write_only_fields,
)

# `${NAME}` is the environment's NAME; `$${NAME}` is the text `${NAME}` (how export writes it).
ENV_REFERENCE = re.compile(r"\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}")
MAX_FILE_BYTES = 10 * 1024 * 1024


class ReportsFileError(Exception):
    """A problem in the file, as `path:line: message`."""


@dataclass(frozen=True)
class Definition:
    """One report as the file wants it: every field, defaults filled in, normalized."""

    name: str
    fields: dict[str, Any]
    renamed_from: str | None
    line: int
    field_lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, name: str) -> int:
        return self.field_lines.get(name, self.line)


def load_definitions(path: Path) -> list[Definition]:
    text = _read(path)
    try:
        document = YAML(typ="rt").load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f"{mark.line + 1}:{mark.column + 1}" if mark else "1"
        raise ReportsFileError(f"{path}:{line}: {error.problem or error.context}") from error
    if not isinstance(document, CommentedMap) or not isinstance(
        document.get("reports"), CommentedSeq
    ):
        raise ReportsFileError(f"{path}:1: expected a mapping with a `reports:` list")
    unknown = [key for key in document if key != "reports"]
    if unknown:
        raise ReportsFileError(
            f"{path}:{_key_line(document, unknown[0])}: unknown key {unknown[0]!r}"
        )
    reports: CommentedSeq = document["reports"]
    definitions = [_definition(path, reports, index) for index in range(len(reports))]
    _check_unique(path, definitions)
    return definitions


def _read(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ReportsFileError(f"{path}: larger than {MAX_FILE_BYTES} bytes")
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ReportsFileError(f"{path}: cannot read it: {error}") from error


def _definition(path: Path, reports: CommentedSeq, index: int) -> Definition:
    entry = reports[index]
    line = reports.lc.item(index)[0] + 1
    if not isinstance(entry, CommentedMap):
        raise ReportsFileError(f"{path}:{line}: each report is a mapping with name and sql_query")
    known = entry_fields()
    lines = {str(key): _key_line(entry, key) for key in entry}
    values: dict[str, Any] = {}
    for key, raw in entry.items():
        if key not in known:
            raise ReportsFileError(f"{path}:{lines[str(key)]}: unknown field {key!r}")
        if key in write_only_fields():
            raise ReportsFileError(
                f"{path}:{lines[str(key)]}: {key} is write-only and not managed by reports files "
                "(set it with the API or the web UI; apply leaves it as it is)"
            )
        try:
            value = _resolved(_plain(raw))
        except KeyError as missing:
            raise ReportsFileError(
                f"{path}:{lines[key]}: {key}: environment variable {missing.args[0]} is not set"
            ) from None
        problem = field_problem(key, value)
        if problem:
            raise ReportsFileError(f"{path}:{lines[key]}: {key}: {problem}")
        values[key] = value
    for required in ("name", "sql_query"):
        if required not in values:
            raise ReportsFileError(f"{path}:{line}: the report has no {required}")
    renamed_from = values.pop("renamed_from", None)
    fields = normalized(values)
    return Definition(fields["name"], fields, renamed_from, line, lines)


def _key_line(mapping: CommentedMap, key: object) -> int:
    line: int = mapping.lc.key(key)[0]
    return line + 1


def _plain(value: Any) -> Any:
    """ruamel's round-trip types (CommentedSeq, LiteralScalarString, …) as plain values."""
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, str):
        return str(value)
    return value


def _resolved(value: Any) -> Any:
    """`${NAME}` replaced by the environment's NAME; KeyError(NAME) when it is not set."""
    if isinstance(value, list):
        return [_resolved(item) for item in value]
    if isinstance(value, str):
        return ENV_REFERENCE.sub(_substitute, value)
    return value


def _substitute(match: re.Match[str]) -> str:
    literal, name = match.groups()
    return f"${{{name}}}" if literal else os.environ[name]


def escaped(value: Any) -> Any:
    """A stored value as a file holds it: a literal `${NAME}` becomes `$${NAME}`."""
    if isinstance(value, list):
        return [escaped(item) for item in value]
    if isinstance(value, str):
        return ENV_REFERENCE.sub(lambda match: "$" + match.group(0), value)
    return value


def _check_unique(path: Path, definitions: list[Definition]) -> None:
    seen: dict[str, int] = {}
    for definition in definitions:
        if definition.name in seen:
            raise ReportsFileError(
                f"{path}:{definition.line_of('name')}: the name {definition.name!r} is already "
                f"used on line {seen[definition.name]}"
            )
        seen[definition.name] = definition.line_of("name")
