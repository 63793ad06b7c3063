"""Reports by name: the command line's key for a report (the API's is its id)."""

from typing import Any

from reportflow_cli.api import Api, ApiError


def all_reports(api: Api) -> list[dict[str, Any]]:
    reports: list[dict[str, Any]] = api.call("GET", "/api/reports")
    return reports


def report_named(api: Api, name: str) -> dict[str, Any]:
    for report in all_reports(api):
        if report["name"] == name:
            return report
    raise ApiError(f"no report named {name!r} (see `reportflow reports list`)")


def report_names(incomplete: str) -> list[str]:
    """Shell completion of report names; nothing when the API cannot be asked."""
    from reportflow_cli.api import open_api  # noqa: PLC0415 - only when completing

    try:
        with open_api() as api:
            return [r["name"] for r in all_reports(api) if r["name"].startswith(incomplete)]
    except (ApiError, KeyError, TypeError):
        return []
