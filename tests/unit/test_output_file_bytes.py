"""An export file's bytes depend on its rows only, not on how the data source cut them."""

import asyncio
import hashlib
import random
from pathlib import Path

import pytest

from services.runner.exporters.output_file import OutputFile

ROWS = b"".join(
    b'{"id": %d, "pad": "%s", "at": "2024-01-01T00:00:00+01:00"}\n' % (i, b"ab" * (i % 7))
    for i in range(150_000)
)


async def _written(directory: Path, chunk_sizes: random.Random) -> tuple[int, str]:
    output = OutputFile(directory, "run", "jsonl.gz", compress=True)
    await output.open()
    start = 0
    while start < len(ROWS):
        size = chunk_sizes.randint(1, 200_000)
        await output.write(ROWS[start : start + size])
        start += size
    result = await output.close()
    output.discard()
    return result


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_gzip_bytes_do_not_depend_on_how_the_rows_arrived(tmp_path: Path, seed: int) -> None:
    reference = asyncio.run(_written(tmp_path, random.Random(0)))
    other = asyncio.run(_written(tmp_path, random.Random(seed)))
    assert other == reference
    assert hashlib.sha256(ROWS).hexdigest() != reference[1]  # it was compressed
