"""The XLSX zip container: standard, read by zipfile, the same bytes for the same content."""

import zipfile
from pathlib import Path

import pytest

from services.runner.exporters import xlsx_zip
from services.runner.exporters.request import ExportFailed
from services.runner.exporters.xlsx_book import XlsxBook
from services.runner.exporters.xlsx_zip import EntryTooLarge, StreamedZip

SHEET = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (n, n, n) for n in range(40_000))


def _write(path: Path, cut: int) -> bytes:
    archive = StreamedZip(path, 1)
    archive.write_entry("first.xml", b"<a/>")
    archive.start_entry("xl/worksheets/sheet1.xml")
    for start in range(0, len(SHEET), cut):
        archive.write(SHEET[start : start + cut])
    archive.end_entry()
    archive.write_entry("empty.xml", b"")
    archive.close()
    return path.read_bytes()


def test_entries_read_back_with_zipfile_at_the_fixed_1980_time(tmp_path: Path) -> None:
    _write(tmp_path / "a.zip", 100_000)
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        assert archive.testzip() is None
        assert archive.namelist() == ["first.xml", "xl/worksheets/sheet1.xml", "empty.xml"]
        assert archive.read("xl/worksheets/sheet1.xml") == SHEET
        assert archive.read("empty.xml") == b""
        infos = archive.infolist()
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {info.compress_type for info in infos} == {zipfile.ZIP_DEFLATED}
    assert infos[1].compress_size < len(SHEET) / 4


@pytest.mark.parametrize("cut", [1_000, 65_536, 333_333, len(SHEET)])
def test_the_same_content_gives_the_same_bytes_however_it_is_written(
    tmp_path: Path, cut: int
) -> None:
    assert _write(tmp_path / "cut.zip", cut) == _write(tmp_path / "whole.zip", 77_777)


def test_offsets_past_the_zip32_limit_go_into_zip64_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx_zip, "ZIP64_FROM", 1_000)
    _write(tmp_path / "z64.zip", 50_000)
    content = (tmp_path / "z64.zip").read_bytes()
    assert b"PK\x06\x06" in content  # the ZIP64 end of central directory record
    assert b"PK\x06\x07" in content  # and its locator
    with zipfile.ZipFile(tmp_path / "z64.zip") as archive:
        assert archive.testzip() is None
        assert archive.read("xl/worksheets/sheet1.xml") == SHEET
        assert archive.read("empty.xml") == b""


def test_an_entry_past_the_size_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx_zip, "MAX_ENTRY_BYTES", 10_000)
    archive = StreamedZip(tmp_path / "big.zip", 1)
    archive.start_entry("big.xml")
    with pytest.raises(EntryTooLarge, match=r"big\.xml"):
        archive.write(b"x" * 10_001)
    archive.discard()


def test_a_sheet_past_the_entry_limit_fails_the_export_saying_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx_zip, "MAX_ENTRY_BYTES", 5_000)
    book = XlsxBook(tmp_path / "book.xlsx", ["n"], ["int4"])
    with pytest.raises(ExportFailed, match="sheet 1 of the XLSX passed the 2 GiB"):
        book.write_rows([(number,) for number in range(1_000)])
    book.discard()
