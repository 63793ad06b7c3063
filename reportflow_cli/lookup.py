"""Reports by name: the command line's key for a report (the API's is its id)."""

from typing import Any

from reportflow_cli.api import Api, ApiError, open_api


def all_reports(api: Api) -> list[dict[str, Any]]:
    reports: list[dict[str, Any]] = api.call("GET", "/api/reports")
    return reports


def report_named(api: Api, name: str) -> dict[str, Any]:
    for report in all_reports(api):
        if report["name"] == name:
            return report
    raise ApiError(f"no report named {name!r} (see `reportflow reports list`)")


def report_listing(
    api: Api,
    name: str,
    what: str,
    params: dict[str, str | int] | None = None,
    feature: str | None = None,
) -> list[dict[str, Any]]:
    """`GET /api/reports/{id}/<what>` of the report called `name`."""
    report = report_named(api, name)
    listing: list[dict[str, Any]] = api.call(
        "GET", f"/api/reports/{report['id']}/{what}", params=params or {}, feature=feature
    )
    return listing


def report_names(incomplete: str) -> list[str]:
    """Shell completion of report names; nothing when the API cannot be asked."""
    try:
        with open_api() as api:
            return [r["name"] for r in all_reports(api) if r["name"].startswith(incomplete)]
    except (ApiError, KeyError, TypeError):
        return []
