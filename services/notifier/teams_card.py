"""A Microsoft Teams Workflows message about a run: one Adaptive Card (pure)."""

import json
from typing import Any

from services.notifier.rendering import RunNotice, facts, header_safe

CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
MAX_FACT_CHARS = 500


def teams_body(notice: RunNotice) -> bytes:
    """The JSON a Teams "post to a channel when a webhook request is received" workflow takes."""
    run = notice.run
    title = notice.templated.subject or f"{header_safe(run.report_name)} — {run.status}"
    card: dict[str, Any] = {
        "$schema": CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {
                "type": "TextBlock",
                "text": title,
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
            },
            {
                "type": "FactSet",
                "facts": [
                    {"title": label, "value": value[:MAX_FACT_CHARS]}
                    for label, value in facts(notice)
                    if label != "Download"
                ],
            },
        ],
    }
    if notice.output is not None:
        card["actions"] = [
            {"type": "Action.OpenUrl", "title": "Download", "url": notice.download_url}
        ]
    message = {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
        ],
    }
    return json.dumps(message, separators=(",", ":")).encode()
