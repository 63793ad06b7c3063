"""A zip archive written front to back, its entries deflated by ISA-L instead of zlib.

zipfile only deflates through zlib, which was a fifth of the XLSX writer's CPU. This writes
the same standard container (PKZIP 2.0 deflate entries, read by zipfile, openpyxl,
python-calamine and LibreOffice): each entry's CRC and sizes follow its data in a data
descriptor, so nothing is ever rewritten, and ZIP64 records appear only when the archive
passes 2 GiB. Every entry carries the fixed 1980-01-01 time, so the same content gives the
same bytes; ISA-L's output depends on how its input is cut, so it is fed blocks of exactly
BLOCK_BYTES.
"""

import struct
from pathlib import Path
from typing import BinaryIO

from isal import isal_zlib

BLOCK_BYTES = 1 << 16
# zipfile's limits, not 4 GiB: some readers take these fields as signed.
MAX_ENTRY_BYTES = (1 << 31) - 1  # an entry's sizes: no ZIP64 sizes, as with zipfile's `open`
ZIP64_FROM = (1 << 31) - 1  # offsets past this go into ZIP64 records
_FIELD_MAX = 0xFFFFFFFF
_DEFLATED = 8
_DATA_DESCRIPTOR_FLAG = 0x08
_VERSION = 20  # PKZIP 2.0: deflate
_ZIP64_VERSION = 45
_MADE_ON_UNIX = 3 << 8
_FILE_MODE = 0o600 << 16  # what zipfile gives an entry opened by name
_DOS_DATE_1980_01_01 = (0 << 9) | (1 << 5) | 1
_DOS_MIDNIGHT = 0
_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
_DATA_DESCRIPTOR = struct.Struct("<IIII")
_CENTRAL_HEADER = struct.Struct("<IHHHHHHIIIHHHHHII")
_ZIP64_OFFSET_EXTRA = struct.Struct("<HHQ")
_ZIP64_END = struct.Struct("<IQHHIIQQQQ")
_ZIP64_LOCATOR = struct.Struct("<IIQI")
_END = struct.Struct("<IHHHHIIH")


class EntryTooLarge(Exception):
    """An entry passed 2 GiB, which a zip entry without ZIP64 sizes cannot hold."""


class _Entry:
    def __init__(self, name: bytes, offset: int) -> None:
        self.name = name
        self.offset = offset
        self.crc = 0
        self.compressed_size = 0
        self.size = 0


class StreamedZip:
    """Entries are written one at a time: `start_entry`, `write`..., `end_entry`."""

    def __init__(self, path: Path, level: int) -> None:
        self._file: BinaryIO = path.open("wb")
        self._level = level
        self._offset = 0
        self._entries: list[_Entry] = []
        self._entry: _Entry | None = None
        self._compressor = isal_zlib.compressobj(level, isal_zlib.DEFLATED, -15)
        self._pending = bytearray()

    def start_entry(self, name: str) -> None:
        assert self._entry is None, "the previous entry is still open"
        encoded = name.encode("ascii")
        self._entry = _Entry(encoded, self._offset)
        self._compressor = isal_zlib.compressobj(self._level, isal_zlib.DEFLATED, -15)
        self._put(
            _LOCAL_HEADER.pack(
                0x04034B50,
                _VERSION,
                _DATA_DESCRIPTOR_FLAG,
                _DEFLATED,
                _DOS_MIDNIGHT,
                _DOS_DATE_1980_01_01,
                0,
                0,
                0,
                len(encoded),
                0,
            )
            + encoded
        )

    def write(self, data: bytes) -> None:
        """Deflates `data` in whole blocks; a part block waits for the next write or the end."""
        entry = self._entry
        assert entry is not None, "no entry is open"
        entry.size += len(data)
        if entry.size > MAX_ENTRY_BYTES:
            raise EntryTooLarge(entry.name.decode())
        entry.crc = isal_zlib.crc32(data, entry.crc)
        view = memoryview(data)
        if self._pending:
            taken = BLOCK_BYTES - len(self._pending)
            self._pending += view[:taken]
            view = view[taken:]
            if len(self._pending) < BLOCK_BYTES:
                return
            self._deflate(self._pending)
            self._pending = bytearray()
        whole = len(view) - len(view) % BLOCK_BYTES
        for start in range(0, whole, BLOCK_BYTES):
            self._deflate(view[start : start + BLOCK_BYTES])
        self._pending += view[whole:]

    def end_entry(self) -> None:
        entry = self._entry
        assert entry is not None, "no entry is open"
        if self._pending:
            self._deflate(self._pending)
            self._pending = bytearray()
        tail = self._compressor.flush()
        entry.compressed_size += len(tail)
        self._put(tail)
        if entry.compressed_size > MAX_ENTRY_BYTES:
            raise EntryTooLarge(entry.name.decode())
        self._put(_DATA_DESCRIPTOR.pack(0x08074B50, entry.crc, entry.compressed_size, entry.size))
        self._entries.append(entry)
        self._entry = None

    def write_entry(self, name: str, data: bytes) -> None:
        self.start_entry(name)
        self.write(data)
        self.end_entry()

    def close(self) -> None:
        """Writes the central directory and closes the file."""
        assert self._entry is None, "an entry is still open"
        directory_offset = self._offset
        for entry in self._entries:
            self._put(_central_header(entry))
        directory_size = self._offset - directory_offset
        count = len(self._entries)
        if directory_offset > ZIP64_FROM or directory_size > ZIP64_FROM:
            self._put_zip64_end(count, directory_offset, directory_size)
            directory_offset = min(directory_offset, _FIELD_MAX)
            directory_size = min(directory_size, _FIELD_MAX)
        self._put(_END.pack(0x06054B50, 0, 0, count, count, directory_size, directory_offset, 0))
        self._file.close()

    def discard(self) -> None:
        self._file.close()

    def _deflate(self, block: bytes | bytearray | memoryview) -> None:
        assert self._entry is not None
        compressed = self._compressor.compress(block)
        self._entry.compressed_size += len(compressed)
        self._put(compressed)

    def _put(self, data: bytes) -> None:
        self._file.write(data)
        self._offset += len(data)

    def _put_zip64_end(self, count: int, directory_offset: int, directory_size: int) -> None:
        end_offset = self._offset
        record_size = _ZIP64_END.size - 12  # not counting the signature and this size field
        self._put(
            _ZIP64_END.pack(
                0x06064B50,
                record_size,
                _MADE_ON_UNIX | _ZIP64_VERSION,
                _ZIP64_VERSION,
                0,
                0,
                count,
                count,
                directory_size,
                directory_offset,
            )
        )
        self._put(_ZIP64_LOCATOR.pack(0x07064B50, 0, end_offset, 1))


def _central_header(entry: _Entry) -> bytes:
    extra = b""
    offset = entry.offset
    version = _VERSION
    if offset > ZIP64_FROM:
        extra = _ZIP64_OFFSET_EXTRA.pack(0x0001, 8, offset)
        offset = _FIELD_MAX
        version = _ZIP64_VERSION
    header = _CENTRAL_HEADER.pack(
        0x02014B50,
        _MADE_ON_UNIX | version,
        version,
        _DATA_DESCRIPTOR_FLAG,
        _DEFLATED,
        _DOS_MIDNIGHT,
        _DOS_DATE_1980_01_01,
        entry.crc,
        entry.compressed_size,
        entry.size,
        len(entry.name),
        len(extra),
        0,
        0,
        0,
        _FILE_MODE,
        offset,
    )
    return header + entry.name + extra
