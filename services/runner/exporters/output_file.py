"""An export file on disk: written through a worker thread, hashed and counted as it is written.

The file is written under a hidden `.part` name and published under its final name only when
complete, so a reader never sees half a file. Until the run's outcome is recorded, a second
link to the published file stays in `.publishing/`: a runner killed between publishing and
recording leaves it behind, and the attempt that records the outcome removes that orphan file
(and any `.part` of a killed attempt) through it. Writes are batched to about a megabyte, so a
large export costs few thread hand-offs and the event loop never waits on the disk.
"""

import asyncio
import contextlib
import hashlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from isal.igzip import IGzipFile

from services.runner.exporters.limits import NO_LIMITS, RunLimits
from services.runner.exporters.request import ExportProgress

FLUSH_BYTES = 1 << 20
PUBLISHING_DIR = ".publishing"
# ISA-L level 1: about the ratio of zlib's level 6 at ten times its speed (docs/export.md).
GZIP_LEVEL = 1


class _DigestingWriter:
    """Counts and hashes exactly the bytes that reach the disk (after compression)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes | memoryview) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()


class OutputFile:
    def __init__(
        self,
        directory: Path,
        run_id: str,
        extension: str,
        compress: bool,
        limits: RunLimits = NO_LIMITS,
        progress: ExportProgress | None = None,
    ) -> None:
        # Unique per attempt: two claims of one run never write the same file.
        self.partial = directory / f".{run_id}.{secrets.token_hex(4)}.{extension}.part"
        self._directory = directory
        self._compress = compress
        self._pending: list[bytes] = []
        self._pending_size = 0
        self.limits = limits
        # Bytes handed to `write` (before compression), checked against MAX_RUN_BYTES as they
        # arrive, so a runaway query stops within one chunk of the limit.
        self.bytes_written = 0
        self._writer: _DigestingWriter | None = None
        self._stream: _DigestingWriter | IGzipFile | None = None
        self.progress = progress or ExportProgress()

    async def open(self, streamed: bool = True) -> None:
        """`streamed=False` only prepares the directory, for a library that writes `partial`."""
        await asyncio.to_thread(self._open, streamed)

    def _open(self, streamed: bool) -> None:
        self._directory.mkdir(parents=True, exist_ok=True)
        if not streamed:
            return
        self._writer = _DigestingWriter(self.partial.open("wb"))
        self._stream = self._writer
        if self._compress:
            # mtime 0 and no file name in the header: the same rows give the same bytes.
            # python-isal leaves the constructor unannotated; IGzipFile is a gzip.GzipFile.
            self._stream = IGzipFile(  # type: ignore[no-untyped-call]
                filename="", mode="wb", fileobj=self._writer, compresslevel=GZIP_LEVEL, mtime=0
            )

    async def write(self, data: bytes) -> None:
        self.bytes_written += len(data)
        self.limits.check_bytes(self.bytes_written)
        self.progress.bytes += len(data)
        self.progress.rows += data.count(b"\n")
        self._pending.append(data)
        self._pending_size += len(data)
        if self._pending_size >= FLUSH_BYTES:
            await self._flush(whole_blocks_only=True)

    async def _flush(self, whole_blocks_only: bool = False) -> None:
        """Writes what is pending, in blocks of exactly FLUSH_BYTES (the rest waits, unless
        this is the last flush): ISA-L's output depends on how its input is cut, and the chunks
        the database sends vary from run to run, so only fixed cuts give the same bytes."""
        if not self._pending:
            return
        data = b"".join(self._pending)
        cut = len(data) - len(data) % FLUSH_BYTES if whole_blocks_only else len(data)
        rest = data[cut:]
        self._pending = [rest] if rest else []
        self._pending_size = len(rest)
        if cut:
            await asyncio.to_thread(self._write_now, memoryview(data)[:cut])

    def _write_now(self, data: memoryview) -> None:
        assert self._stream is not None
        for start in range(0, len(data), FLUSH_BYTES):
            self._stream.write(data[start : start + FLUSH_BYTES])

    async def close(self) -> tuple[int, str]:
        """Flushes and closes the file; (size on disk, SHA-256 hex of its bytes)."""
        await self._flush()
        return await asyncio.to_thread(self._close)

    def _close(self) -> tuple[int, str]:
        assert self._writer is not None
        assert self._stream is not None
        if isinstance(self._stream, IGzipFile):
            self._stream.close()
        self._writer.raw.close()
        return self._writer.size, self._writer.digest.hexdigest()

    async def check_written_file(self) -> None:
        """For a file another library writes at `partial` (XLSX): its size so far against
        MAX_RUN_BYTES."""
        size = await asyncio.to_thread(_size_of, self.partial)
        self.limits.check_bytes(size)

    async def seal_written_file(self) -> tuple[int, str]:
        """For a file another library wrote at `partial` (XLSX): its size and SHA-256."""
        return await asyncio.to_thread(_digest_of, self.partial)

    def discard(self) -> None:
        if self._writer is not None:
            self._writer.raw.close()
        self.partial.unlink(missing_ok=True)

    async def publish(self, name_for_attempt: Callable[[int], str]) -> Path:
        return await asyncio.to_thread(self._publish, name_for_attempt)

    def _publish(self, name_for_attempt: Callable[[int], str]) -> Path:
        """Gives the complete file its final name without ever replacing an existing file."""
        attempt = 1
        while True:
            final = self._directory / name_for_attempt(attempt)
            try:
                os.link(self.partial, final)
            except FileExistsError:
                attempt += 1
                continue
            marker = self._directory / PUBLISHING_DIR / self.partial.name.removesuffix(".part")
            marker.parent.mkdir(exist_ok=True)
            os.replace(self.partial, marker)
            return final


def remove_leftovers(directory: Path, run_id: str, keep: Path | None) -> None:
    """Once a run's outcome is recorded (so no attempt of it may publish any more): removes
    what its attempts left behind, the `.part` files of killed exports and the files published
    by an attempt killed before it could record them, all but `keep` (the recorded file)."""
    kept = keep.stat() if keep is not None and keep.exists() else None
    leftovers = [
        *directory.glob(f".{run_id}.*.part"),
        *(directory / PUBLISHING_DIR).glob(f".{run_id}.*"),
    ]
    for leftover in leftovers:
        try:
            found = leftover.stat()
        except FileNotFoundError:
            continue
        if found.st_nlink > 1 and not (kept and os.path.samestat(found, kept)):
            for orphan in _links_to(directory, found):
                orphan.unlink(missing_ok=True)
        leftover.unlink(missing_ok=True)


def remove_published(directory: Path, run_id: str, final: Path) -> None:
    """A published file whose outcome was not ours to record: the file and its marker."""
    with contextlib.suppress(FileNotFoundError):
        published = final.stat()
        for marker in (directory / PUBLISHING_DIR).glob(f".{run_id}.*"):
            if os.path.samestat(marker.stat(), published):
                marker.unlink(missing_ok=True)
        final.unlink(missing_ok=True)


def _links_to(directory: Path, target: os.stat_result) -> list[Path]:
    return [
        path
        for path in directory.iterdir()
        if path.is_file() and os.path.samestat(path.stat(), target)
    ]


def _size_of(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _digest_of(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as file:
        while chunk := file.read(FLUSH_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()
