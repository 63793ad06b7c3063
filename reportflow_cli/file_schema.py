"""The reports file's JSON Schema (generated from the API's models, shipped with the command):
which fields a report has, their defaults, a type check per field, and one normal form for
comparing a file's value with the API's."""

import functools
import json
from importlib import resources
from typing import Any

SCHEMA_FILE = "reports-file.schema.json"
ENTRY = "ReportsFileEntry"


@functools.cache
def schema() -> dict[str, Any]:
    text = resources.files("reportflow_cli").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _properties() -> dict[str, dict[str, Any]]:
    properties: dict[str, dict[str, Any]] = schema()["$defs"][ENTRY]["properties"]
    return properties


def entry_fields() -> list[str]:
    return list(_properties())


def write_only_fields() -> frozenset[str]:
    """Fields the API never shows (webhook URLs and secrets): a reports file cannot hold them."""
    return frozenset(name for name, spec in _properties().items() if spec.get("writeOnly"))


def report_fields() -> list[str]:
    """What a report's definition is, in the schema's order; secrets (`writeOnly`) are never
    read back from the API, so never exported."""
    return [
        name
        for name, spec in _properties().items()
        if name != "renamed_from" and not spec.get("writeOnly")
    ]


def _resolved(spec: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in spec:
        target: dict[str, Any] = schema()["$defs"][spec["$ref"].rsplit("/", 1)[-1]]
        return {**target, **{k: v for k, v in spec.items() if k != "$ref"}}
    return spec


def _alternatives(spec: dict[str, Any]) -> list[dict[str, Any]]:
    spec = _resolved(spec)
    return [_resolved(option) for option in spec["anyOf"]] if "anyOf" in spec else [spec]


PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "array": (list,),
    "integer": (int,),
    "null": (type(None),),
}


def field_problem(name: str, value: Any) -> str | None:
    """Why `value` cannot be `name`'s (type, enum, list items), or None; the API checks the
    rest (a valid cron, SQL, address) and its answer is reported at the same line."""
    options = _alternatives(_properties()[name])
    for option in options:
        allowed = PYTHON_TYPES.get(option.get("type", ""), (object,))
        if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
            continue
        if "enum" in option and value not in option["enum"]:
            return f"{value!r} is not one of {', '.join(map(str, option['enum']))}"
        items = option.get("items")
        if isinstance(value, list) and items and any(field_problem_item(items, v) for v in value):
            return f"every item must be a {items.get('type')}"
        return None
    expected = " or ".join(str(option.get("type", "value")) for option in options)
    return f"expected {expected}, got {type(value).__name__} {value!r}"


def field_problem_item(items: dict[str, Any], value: Any) -> bool:
    return not isinstance(value, PYTHON_TYPES.get(items.get("type", ""), (object,)))


def default(name: str) -> Any:
    spec = _properties()[name]
    if "default" in spec:
        return spec["default"]
    return [] if spec.get("type") == "array" else None


def normalized(values: dict[str, Any]) -> dict[str, Any]:
    """Every report field, defaults filled in, as the API stores it: name and SQL stripped,
    cron white space collapsed, e-mail domains in lower case."""
    fields = {name: values.get(name, default(name)) for name in report_fields()}
    fields["name"] = str(fields["name"]).strip()
    fields["sql_query"] = str(fields["sql_query"]).strip()
    cron = fields.get("schedule_cron")
    fields["schedule_cron"] = " ".join(cron.split()) or None if isinstance(cron, str) else None
    fields["recipients"] = [_address(str(address)) for address in fields["recipients"] or []]
    return fields


def _address(address: str) -> str:
    local, at, domain = address.strip().rpartition("@")
    return f"{local}@{domain.lower()}" if at else address.strip()
