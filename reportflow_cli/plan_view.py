"""A plan as a readable diff: + create, ~ update (field: old → new; SQL line by line),
- delete."""

import difflib
from typing import Any

from rich.text import Text

from reportflow_cli.output import console
from reportflow_cli.plan import Change, Plan

STYLES = {"create": ("+", "green"), "update": ("~", "yellow"), "delete": ("-", "red")}


def show_plan(plan: Plan, source: str) -> None:
    if plan.is_empty:
        console.print(f"no changes: the API already matches {source}", markup=False)
        return
    for change in plan.changes:
        _show_change(change)
    counts = ", ".join(f"{len(plan.of(action))} to {action}" for action in STYLES)
    console.print(f"\nPlan: {counts}.", markup=False)


def _show_change(change: Change) -> None:
    sign, style = STYLES[change.action]
    heading = Text(f"{sign} {change.action} {change.name!r}", style=f"bold {style}")
    if change.action == "update" and "name" in change.fields:
        heading.append(f" (renamed from {change.fields['name'][0]!r})")
    if change.action == "delete" and change.owner:
        heading.append(f" (owner {change.owner})")
    console.print(heading)
    for name, (old, new) in change.fields.items():
        if change.action == "create" and new in (None, [], ""):
            continue
        _show_field(name, old, new, creating=change.action == "create")


def _show_field(name: str, old: Any, new: Any, *, creating: bool) -> None:
    multiline = any(isinstance(value, str) and "\n" in value for value in (old, new))
    if not multiline:
        shown = f"{_short(new)}" if creating else f"{_short(old)} → {_short(new)}"
        console.print(Text(f"    {name}: {shown}"))
        return
    console.print(Text(f"    {name}:"))
    old_lines = [] if creating or old is None else str(old).splitlines()
    for line in difflib.unified_diff(old_lines, str(new or "").splitlines(), lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        style = {"+": "green", "-": "red", "@": "cyan"}.get(line[:1], "")
        console.print(Text(f"      {line}", style=style))


def _short(value: Any) -> str:
    return "null" if value is None else repr(value)
