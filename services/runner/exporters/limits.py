"""What one run may make the system do: rows exported and bytes written (MAX_RUN_ROWS,
MAX_RUN_BYTES). Past either, the export stops with a reason that names the limit."""

from dataclasses import dataclass

from services.runner.exporters.request import ExportFailed


class LimitExceeded(ExportFailed):
    """The run passed MAX_RUN_ROWS or MAX_RUN_BYTES; its partial file is removed."""


@dataclass(frozen=True)
class RunLimits:
    """None: no limit (the runner always sets both, from its settings)."""

    max_rows: int | None = None
    max_bytes: int | None = None

    def check_rows(self, row_count: int) -> None:
        if self.max_rows is not None and row_count > self.max_rows:
            raise LimitExceeded(
                f"the run passed MAX_RUN_ROWS ({self.max_rows:,} rows) and was stopped; "
                "no file was kept"
            )

    def check_bytes(self, byte_count: int) -> None:
        if self.max_bytes is not None and byte_count > self.max_bytes:
            raise LimitExceeded(
                f"the run passed MAX_RUN_BYTES ({self.max_bytes:,} bytes of output) and was "
                "stopped; no file was kept"
            )


NO_LIMITS = RunLimits()
