"""The sandboxed Jinja2 engine of report templates: a template is checked before it runs (no
assignments, macros, includes or calls but `range`, loops at most two deep), its values are
bounded (`range`, loop iterations, `*`, `join`) and its output is cut off at a size, so a
hostile template ends in a TemplateProblem within milliseconds instead of hanging or
exhausting memory."""

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from functools import cache
from itertools import islice
from typing import Any

from jinja2 import StrictUndefined, nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.filters import FILTERS
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_LOOP_DEPTH = 2
MAX_RANGE_ITEMS = 100
# Items one loop may go over (a string's characters too), and all loops of one rendering.
MAX_LOOP_ITEMS = 1_000
MAX_LOOP_ITERATIONS = 100_000
# The longest string or list an operation inside a template may build (`*`, `join`).
MAX_VALUE_CHARS = 10_000
MAX_PROBLEM_CHARS = 300

# Filters whose output is at most about as large as their input (no center, indent, format,
# replace, wordwrap: each can multiply a string).
_PLAIN_FILTERS = frozenset(
    {"abs", "capitalize", "count", "d", "default", "filesizeformat", "first", "float", "int"}
    | {"last", "length", "lower", "round", "string", "title", "trim", "truncate", "upper"}
    | {"wordcount"}
)
# Statements a template does not need and that could grow without bound (assignments double
# a string per line) or reach outside the template (includes, imports).
_REFUSED_NODES: dict[type[nodes.Node], str] = {
    nodes.Assign: "{% set %}",
    nodes.AssignBlock: "{% set %}",
    nodes.Macro: "{% macro %}",
    nodes.CallBlock: "{% call %}",
    nodes.FilterBlock: "{% filter %}",
    nodes.With: "{% with %}",
    nodes.Block: "{% block %}",
    nodes.Extends: "{% extends %}",
    nodes.Include: "{% include %}",
    nodes.Import: "{% import %}",
    nodes.FromImport: "{% from %}",
    nodes.ScopedEvalContextModifier: "{% autoescape %}",
    nodes.Pow: "the ** operator",
}
# strftime directives without widths or flags (glibc pads `%999999999Y` to that width).
_DATE_FORMAT = re.compile(r"(?:[^%]|%[aAbBcdeFGHIjmMpSTuUVwWxXyYzZ%])*")


# The variable that bounds loops (a template cannot call it: _check_tree refuses calls).
_LOOP_ITEMS = "_loop_items"


class TemplateProblem(Exception):
    """Why a template cannot be rendered: its syntax, an unknown variable, a limit."""


def _bounded_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE_ITEMS:
        raise SecurityError(f"range() gives at most {MAX_RANGE_ITEMS} numbers")
    return numbers


class _LoopBudget:
    """The iterations one rendering may still make; every `{% for %}` iterates over `items`
    (_check_tree puts the call there)."""

    def __init__(self) -> None:
        self.left = MAX_LOOP_ITERATIONS

    def items(self, iterable: Iterable[object]) -> list[object]:
        items = list(islice(iterable, MAX_LOOP_ITEMS + 1))
        if len(items) > MAX_LOOP_ITEMS:
            raise SecurityError(f"a loop goes over at most {MAX_LOOP_ITEMS} items")
        self.left -= len(items)
        if self.left < 0:
            raise SecurityError(f"loops make at most {MAX_LOOP_ITERATIONS} iterations in all")
        return items


def _date(value: object, date_format: str = "%Y-%m-%d") -> str:
    if not isinstance(value, date):
        raise TypeError(f"the date filter needs a date, not {type(value).__name__}")
    if len(date_format) > 100 or not _DATE_FORMAT.fullmatch(date_format):
        raise SecurityError("a date format has plain strftime directives (%Y, %m, %d, %V…)")
    return value.strftime(date_format)


def _join(values: Iterable[object], separator: str = ", ") -> str:
    texts = [str(value) for value in values]
    if sum(map(len, texts)) + len(str(separator)) * len(texts) > MAX_VALUE_CHARS:
        raise SecurityError(f"join() builds at most {MAX_VALUE_CHARS} characters")
    return str(separator).join(texts)


def _sized(value: object) -> int | None:
    return len(value) if isinstance(value, str | list | tuple) else None


class _BoundedEnvironment(ImmutableSandboxedEnvironment):
    """Immutable sandbox (no `__class__`, no list.append) whose `*` and `%` cannot build a
    huge string."""

    intercepted_binops = frozenset({"*", "%"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "%" and isinstance(left, str):
            raise SecurityError("printf-style % formatting is not available; use filters")
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                size = _sized(sequence)
                if size is not None and isinstance(times, int) and size * times > MAX_VALUE_CHARS:
                    raise SecurityError(f"* builds at most {MAX_VALUE_CHARS} characters")
        return super().call_binop(context, operator, left, right)


@cache
def _environment() -> _BoundedEnvironment:
    environment = _BoundedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,
        cache_size=0,
        auto_reload=False,
        finalize=lambda value: "" if value is None else value,
    )
    environment.globals = {"range": _bounded_range}
    filters: dict[str, Callable[..., Any]] = {name: FILTERS[name] for name in _PLAIN_FILTERS}
    environment.filters = filters | {"date": _date, "join": _join}
    return environment


def _check_tree(tree: nodes.Template) -> None:
    """Walks the parsed template without recursion (a deeply nested one is refused, not a
    RecursionError), and bounds what each loop iterates over."""
    pending: list[tuple[nodes.Node, int]] = [(tree, 0)]
    while pending:
        node, loops = pending.pop()
        refused = _REFUSED_NODES.get(type(node))
        if refused is not None:
            raise TemplateProblem(f"{refused} is not allowed in a report template")
        if isinstance(node, nodes.For):
            loops += 1
            if node.recursive or loops > MAX_LOOP_DEPTH:
                raise TemplateProblem(f"loops may be nested at most {MAX_LOOP_DEPTH} deep")
            pending.append((node.iter, loops))  # checked as written, then bounded
            node.iter = nodes.Call(nodes.Name(_LOOP_ITEMS, "load"), [node.iter], [], None, None)
            pending.extend((child, loops) for child in (*node.body, *node.else_))
            if node.test is not None:
                pending.append((node.test, loops))
            continue
        if isinstance(node, nodes.Call) and not (
            isinstance(node.node, nodes.Name) and node.node.name == "range"
        ):
            raise TemplateProblem("only range() may be called; use filters (| upper, | date)")
        pending.extend((child, loops) for child in node.iter_child_nodes())


def _problem(error: Exception) -> TemplateProblem:
    if isinstance(error, TemplateSyntaxError):
        text = f"line {error.lineno}: {error.message}"
    else:
        text = getattr(error, "message", None) or str(error) or type(error).__name__
    return TemplateProblem(text[:MAX_PROBLEM_CHARS])


def render(source: str, variables: Mapping[str, object], max_chars: int) -> str:
    """The template's output with `variables`; TemplateProblem for any failure or an output
    longer than `max_chars` (never another exception)."""
    try:
        environment = _environment()
        tree = environment.parse(source)
        _check_tree(tree)
        chunks: list[str] = []
        length = 0
        context = {**variables, _LOOP_ITEMS: _LoopBudget().items}
        for chunk in environment.from_string(tree).generate(context):
            length += len(chunk)
            if length > max_chars:
                raise TemplateProblem(f"the output is longer than {max_chars} characters")
            chunks.append(chunk)
    except TemplateProblem:
        raise
    except Exception as error:  # a template must never crash its service
        raise _problem(error) from error
    return "".join(chunks)
