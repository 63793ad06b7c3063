"""A report's parameter declarations (`[{"name": "n", "type": "integer", "default": 3}]`):
names, types and defaults checked, with the path of anything wrong."""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared.report_parameters.date_macros import RESERVED_NAMES
from shared.report_parameters.values import SCALARS, Coerced, InvalidValue, coerce

MAX_PARAMETERS = 50
MAX_NAME_CHARS = 63  # a PostgreSQL identifier's length
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
SCALAR_TYPES = tuple(SCALARS)
# A list type is its item type followed by `[]`, as PostgreSQL spells arrays.
PARAMETER_TYPES = SCALAR_TYPES + tuple(f"{item}[]" for item in SCALAR_TYPES)


class ParameterProblem(ValueError):
    """A declaration or value is wrong; `path` leads to it, e.g. (2, "default") or ("n",)."""

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


@dataclass(frozen=True)
class Declaration:
    name: str
    type: str  # one of PARAMETER_TYPES
    default: Coerced | None = None

    @property
    def item_type(self) -> str:
        return self.type.removesuffix("[]")

    @property
    def is_list(self) -> bool:
        return self.type.endswith("[]")

    def coerce(self, value: object) -> Coerced:
        return coerce(self.item_type, self.is_list, value)

    def stored(self) -> dict[str, Any]:
        """As the report's `parameters` column (and answer) holds it."""
        stored: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.default is not None:
            stored["default"] = self.default.recorded
        return stored


def _checked_name(index: int, name: object, seen: set[str]) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise ParameterProblem(
            (index, "name"),
            "a parameter name is lower-case letters, digits and _, starting with a letter",
        )
    if len(name) > MAX_NAME_CHARS:
        raise ParameterProblem((index, "name"), f"a name has at most {MAX_NAME_CHARS} characters")
    if name in RESERVED_NAMES:
        raise ParameterProblem(
            (index, "name"), f"{name!r} is a built-in date macro; choose another name"
        )
    if name in seen:
        raise ParameterProblem((index, "name"), f"parameter {name!r} is declared twice")
    return name


def _declaration(index: int, raw: Mapping[str, Any], seen: set[str]) -> Declaration:
    unknown = set(raw) - {"name", "type", "default"}
    if unknown:
        raise ParameterProblem((index, sorted(unknown)[0]), "unknown field of a parameter")
    name = _checked_name(index, raw.get("name"), seen)
    kind = raw.get("type")
    if kind not in PARAMETER_TYPES:
        raise ParameterProblem(
            (index, "type"), f"type must be one of {', '.join(PARAMETER_TYPES)}; got {kind!r}"
        )
    declaration = Declaration(name, kind)
    if raw.get("default") is None:
        return declaration
    try:
        default = declaration.coerce(raw["default"])
    except InvalidValue as error:
        raise ParameterProblem((index, "default"), f"default of {name!r}: {error}") from error
    return Declaration(name, kind, default)


def parse_declarations(raw: Sequence[Mapping[str, Any]]) -> list[Declaration]:
    """The declarations, checked; a null or missing default means every run must give a value."""
    if len(raw) > MAX_PARAMETERS:
        raise ParameterProblem(
            (), f"a report has at most {MAX_PARAMETERS} parameters; it has {len(raw)}"
        )
    declarations: list[Declaration] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        declaration = _declaration(index, item, seen)
        seen.add(declaration.name)
        declarations.append(declaration)
    return declarations
