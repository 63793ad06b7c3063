"""How a placeholder reaches PostgreSQL: a typed reference to a transaction-local setting that
holds the value (COPY cannot take bind parameters; set_config can)."""

SETTING_PREFIX = "reportflow.param."
SQL_TYPES = {
    "text": "text",
    "integer": "bigint",
    "number": "numeric",
    "date": "date",
    "timestamp": "timestamptz",
    "boolean": "boolean",
}
# Run before the report's statement, in its transaction, once per value ($1 name, $2 value).
SET_PARAMETER = "SELECT set_config($1, $2, true)"


def setting_name(name: str) -> str:
    return SETTING_PREFIX + name


def typed_reference(name: str, item_type: str, is_list: bool) -> str:
    """SQL reading the parameter's setting as its type. `name` is a checked parameter name
    (lower-case letters, digits, _), never user text. A scalar is a sub-select, so PostgreSQL
    reads it once per statement and can use it as an index condition; a list travels as a
    JSON array of strings."""
    setting = f"current_setting('{setting_name(name)}')"
    sql_type = SQL_TYPES[item_type]
    if is_list:
        return f"(ARRAY(SELECT jsonb_array_elements_text({setting}::jsonb))::{sql_type}[])"
    return f"(SELECT {setting}::{sql_type})"
