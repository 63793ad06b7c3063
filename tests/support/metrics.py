"""Reading Prometheus text in tests, and a free port for a service's /metrics."""

import re
import socket


def metric_value(metrics: str, name: str) -> float:
    """The sample `name` (with its labels, if any); 0 when it is not exposed yet."""
    match = re.search(rf"^{re.escape(name)} (\S+)$", metrics, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
