"""The Grafana dashboard and the monitoring profile: every panel's query names a metric the
services export, and Prometheus scrapes every service that exports them."""

import json
import re
from pathlib import Path
from typing import Any

from prometheus_client import REGISTRY
from ruamel.yaml import YAML

import services.api.routes.metrics
import services.notifier.metrics
import services.runner.metrics
import services.scheduler.metrics
import shared.metrics

ROOT = Path(__file__).parents[2]
MONITORING = ROOT / "deploy" / "monitoring"
DASHBOARD = MONITORING / "grafana" / "reportflow-dashboard.json"
METRIC_NAME = re.compile(r"\breportflow_[a-z0-9_]+")
# Importing them registers their metrics in prometheus_client's REGISTRY.
METRICS_MODULES = (
    shared.metrics,
    services.api.routes.metrics,
    services.runner.metrics,
    services.scheduler.metrics,
    services.notifier.metrics,
)
SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_sum", "_count"),
    "gauge": ("",),
}


def exported_sample_names() -> set[str]:
    """Every sample name the services' metrics modules (imported above) put on /metrics."""
    names: set[str] = set()
    for family in REGISTRY.collect():
        if family.name.startswith("reportflow_"):
            names |= {family.name + suffix for suffix in SUFFIXES.get(family.type, ("",))}
    return names


def queries() -> list[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [
        (panel["title"], target["expr"])
        for panel in dashboard["panels"]
        for target in panel["targets"]
    ]


def load_yaml(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text())


def test_every_panel_queries_only_metrics_the_services_export() -> None:
    exported = exported_sample_names()
    for title, expr in queries():
        named = set(METRIC_NAME.findall(expr))
        assert named, f"{title!r} queries no reportflow_ metric: {expr}"
        assert named <= exported, f"{title!r} names unknown metrics: {named - exported}"


def test_the_dashboard_shows_what_operators_ask_first() -> None:
    text = " ".join(expr for _, expr in queries())
    for metric in (
        "reportflow_runs",  # runs by status
        "reportflow_runs_waiting",  # queue depth
        "reportflow_oldest_queued_run_age_seconds",
        "reportflow_scheduler_lateness_seconds_bucket",
        "reportflow_rows_exported_total",
        "reportflow_bytes_exported_total",
        "reportflow_notifications_total",
    ):
        assert re.search(rf"\b{metric}\b", text), metric


def test_panels_have_unique_ids_and_use_the_provisioned_data_source() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    source = load_yaml(MONITORING / "grafana/provisioning/datasources/prometheus.yml")
    uid = source["datasources"][0]["uid"]
    assert {panel["datasource"]["uid"] for panel in dashboard["panels"]} == {uid}


def test_prometheus_scrapes_the_api_and_every_worker_on_all_interfaces() -> None:
    prometheus = load_yaml(MONITORING / "prometheus.yml")
    jobs = {job["job_name"] for job in prometheus["scrape_configs"]}
    assert jobs == {"api", "scheduler", "runner", "notifier"}
    compose = load_yaml(ROOT / "docker-compose.yml")
    assert compose["x-reportflow"]["environment"]["METRICS_HOST"] == "0.0.0.0"
    for service in ("prometheus", "grafana"):
        assert compose["services"][service]["profiles"] == ["monitoring"]
