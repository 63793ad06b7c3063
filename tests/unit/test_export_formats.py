"""Which format and compression pairs can be written: the rule the API and the runner share."""

import pytest

from shared.export_formats import compression_problem
from shared.models import Compression, OutputFormat


@pytest.mark.parametrize(
    ("output_format", "compression"),
    [
        *((output_format, Compression.NONE) for output_format in OutputFormat),
        (OutputFormat.CSV, Compression.GZIP),
        (OutputFormat.JSON, Compression.GZIP),
        (OutputFormat.JSONL, Compression.GZIP),
    ],
)
def test_writable_pairs_have_no_problem(
    output_format: OutputFormat, compression: Compression
) -> None:
    assert compression_problem(output_format, compression) is None


def test_xlsx_with_gzip_is_refused_naming_both() -> None:
    problem = compression_problem(OutputFormat.XLSX, Compression.GZIP)
    assert problem is not None
    assert problem.startswith("XLSX with gzip compression cannot be written")
