"""The same rows give the same bytes, in every format and compression, by either engine, however
the rows arrive and however much later: what `only_if_changed` compares (a file's sha256) means
"the same data". A gzip file names no file and no time, and `gzip -t` accepts it."""

import asyncio
import subprocess
from itertools import product

from services.runner.exporters.output_file import FLUSH_BYTES
from services.runner.exporters.request import ExportResult
from services.runner.exporters.selector import CsvEngine
from shared.export_formats import compression_problem
from shared.models import Compression, OutputFormat
from tests.integration.export.conftest import RunExport

# Several megabytes: the output crosses the exporter's 1 MiB write blocks many times.
ROWS = "SELECT * FROM export_awkward, generate_series(1, 2500) AS g ORDER BY id, g"
EXPORTS = [
    (output_format, compression, engine)
    for output_format, compression, engine in product(OutputFormat, Compression, CsvEngine)
    if compression_problem(output_format, compression) is None
]
GZIP_FLAGS = 3  # offsets in the gzip header (RFC 1952, 2.3)
GZIP_MTIME = slice(4, 8)


def _check_gzip_header(result: ExportResult, label: str) -> None:
    header = result.path.read_bytes()[:10]
    assert header[:3] == b"\x1f\x8b\x08", label  # gzip, deflate
    assert header[GZIP_FLAGS] == 0, label  # no FNAME (nor FCOMMENT, FEXTRA, FHCRC)
    assert header[GZIP_MTIME] == b"\x00\x00\x00\x00", label
    subprocess.run(["gzip", "-t", str(result.path)], check=True)


async def test_every_format_gives_the_same_bytes_for_the_same_rows_a_second_later(
    export: RunExport,
) -> None:
    assert len(EXPORTS) >= 7, EXPORTS  # CSV, JSON, JSONL x none, gzip, and XLSX (x 2 engines)
    first = {key: await export(ROWS, *key, batch_rows=1000) for key in EXPORTS}
    await asyncio.sleep(1.5)  # a time stamp in the file, to the second, would now differ
    # Other batches: the rows reach the writer in other chunks.
    second = {key: await export(ROWS, *key, batch_rows=333) for key in EXPORTS}

    for key in EXPORTS:
        label = "/".join(map(str, key))
        assert first[key].path != second[key].path, label
        assert first[key].row_count == 10_000, label
        if key[1] == Compression.NONE and key[0] != OutputFormat.XLSX:
            assert (first[key].byte_size or 0) > 2 * FLUSH_BYTES, label
        assert first[key].sha256 == second[key].sha256, label
        assert first[key].path.read_bytes() == second[key].path.read_bytes(), label
        if key[1] == Compression.GZIP:
            await asyncio.to_thread(_check_gzip_header, first[key], label)
