"""The text of a Slack message about a run, in Slack's mrkdwn with user text escaped (pure)."""

from services.notifier.inline_table import text_table
from services.notifier.rendering import RunNotice, header_safe

MAX_TEXT_CHARS = 3000
FENCE = "```"


def _escaped(text: str) -> str:
    """Slack reads &, < and > as markup (links, mentions): user text gets them escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_text(notice: RunNotice) -> str:
    run = notice.run
    title = notice.templated.subject or f"{header_safe(run.report_name)} — {run.status}"
    lines = [f"*{_escaped(title)}*"]
    if run.row_count is not None:
        lines.append(f"Rows: {run.row_count}")
    if run.error_message:
        lines.append(f"Error: {_escaped(header_safe(run.error_message, 500))}")
    if notice.output is not None:
        lines.append(f"<{_escaped(notice.download_url)}|Download the output>")
    text = "\n".join(lines)[:MAX_TEXT_CHARS]
    return text + _table_block(notice, MAX_TEXT_CHARS - len(text))


def _table_block(notice: RunNotice, room: int) -> str:
    """The report's inline_rows as a code block, cut to whole lines that fit the message."""
    table = _escaped(text_table(notice.run)).replace(FENCE, "'''")
    room -= len(FENCE) * 2 + 2
    if len(table) > room:
        table = table[: table.rfind("\n", 0, max(room, 0)) + 1]
    return f"\n{FENCE}\n{table}{FENCE}" if table.strip() else ""
