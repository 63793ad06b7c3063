"""Finds `{{ name }}` placeholders in report SQL and replaces them.

Placeholders count only in the SQL itself: inside a string literal ('…', E'…', U&'…'), a
quoted identifier ("…"), a dollar-quoted string ($tag$…$tag$) or a comment (-- …, nested
/* … */) a placeholder is refused, since a value can never be spliced into text.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
DOLLAR_TAG = re.compile(r"\$([A-Za-z_\x80-\U0010ffff][A-Za-z0-9_\x80-\U0010ffff]*)?\$")
IDENTIFIER_CHAR = re.compile(r"[A-Za-z0-9_$\x80-\U0010ffff]")
# Where a literal, a comment or a placeholder may start: everything between is skipped at once.
INTERESTING = re.compile(r"--|/\*|['\"$]|\{\{")


class PlaceholderProblem(ValueError):
    """A placeholder the SQL cannot hold; the message gives its character position (from 1)."""


@dataclass(frozen=True)
class Placeholder:
    name: str
    start: int
    end: int


def _after_identifier(sql: str, index: int) -> bool:
    return index > 0 and IDENTIFIER_CHAR.match(sql[index - 1]) is not None


def _quoted_end(sql: str, start: int, quote: str, backslash_escapes: bool) -> int:
    """The index after the closing quote of the quoted text opening at `start`."""
    index = start + 1
    while index < len(sql):
        char = sql[index]
        if backslash_escapes and char == "\\":
            index += 2
            continue
        if char == quote:
            if sql.startswith(quote, index + 1):  # a doubled quote stands for itself
                index += 2
                continue
            return index + 1
        index += 1
    return len(sql)


def _block_comment_end(sql: str, start: int) -> int:
    depth, index = 0, start
    while index < len(sql):
        if sql.startswith("/*", index):
            depth, index = depth + 1, index + 2
        elif sql.startswith("*/", index):
            depth, index = depth - 1, index + 2
            if depth == 0:
                return index
        else:
            index += 1
    return len(sql)


def _region_end(sql: str, index: int) -> tuple[int, str] | None:
    """The end and kind of the literal or comment opening at `index`, or None."""
    char = sql[index]
    if sql.startswith("--", index):
        newline = sql.find("\n", index)
        return (len(sql) if newline < 0 else newline), "comment"
    if sql.startswith("/*", index):
        return _block_comment_end(sql, index), "comment"
    if char == "'":
        escapes = index > 0 and sql[index - 1] in "eE" and not _after_identifier(sql, index - 1)
        return _quoted_end(sql, index, "'", escapes), "string literal"
    if char == '"':
        return _quoted_end(sql, index, '"', backslash_escapes=False), "quoted identifier"
    if char == "$" and not _after_identifier(sql, index):
        tag = DOLLAR_TAG.match(sql, index)
        if tag is not None:
            closing = sql.find(tag.group(), tag.end())
            end = len(sql) if closing < 0 else closing + len(tag.group())
            return end, "dollar-quoted string"
    return None


def find_placeholders(sql: str, refuse_inside: bool = True) -> list[Placeholder]:
    """Every placeholder outside literals and comments, in order; raises PlaceholderProblem
    for `{{` that does not start a placeholder and, with `refuse_inside`, for one inside them
    (without: it is the literal's text, as PostgreSQL reads it)."""
    found: list[Placeholder] = []
    index = 0
    while (candidate := INTERESTING.search(sql, index)) is not None:
        index = candidate.start()
        region = _region_end(sql, index)
        if region is not None:
            end, kind = region
            inside = PLACEHOLDER.search(sql, index, end) if refuse_inside else None
            if inside is not None:
                raise PlaceholderProblem(
                    f"placeholder {inside.group()} at character {inside.start() + 1} is inside "
                    f"a {kind}; parameters are values, used outside quotes and comments "
                    "(e.g. name = {{ name }}, or 'prefix-' || {{ name }})"
                )
            index = end
        elif sql.startswith("{{", index):
            placeholder = PLACEHOLDER.match(sql, index)
            if placeholder is None:
                raise PlaceholderProblem(
                    f"'{{{{' at character {index + 1} does not start a placeholder "
                    "{{ name }} (a name is letters, digits and _)"
                )
            found.append(Placeholder(placeholder.group(1), index, placeholder.end()))
            index = placeholder.end()
        else:
            index += 1
    return found


def replace_placeholders(
    sql: str, replacements: Mapping[str, str], refuse_inside: bool = True
) -> str:
    """The SQL with each placeholder replaced by `replacements[name]` (all must be there)."""
    parts: list[str] = []
    last = 0
    for placeholder in find_placeholders(sql, refuse_inside):
        parts += [sql[last : placeholder.start], replacements[placeholder.name]]
        last = placeholder.end
    parts.append(sql[last:])
    return "".join(parts)


def original_position(
    sql: str, replacements: Mapping[str, str], position: int, refuse_inside: bool = True
) -> int:
    """Where 1-based `position` of the replaced SQL lies in `sql`: a position inside a
    replacement is its placeholder's start."""
    shift = 0  # how much longer the replaced SQL is, up to the current placeholder
    for placeholder in find_placeholders(sql, refuse_inside):
        start = placeholder.start + shift
        replacement = replacements[placeholder.name]
        if position - 1 < start:
            break
        if position - 1 < start + len(replacement):
            return placeholder.start + 1
        shift += len(replacement) - (placeholder.end - placeholder.start)
    return position - shift
