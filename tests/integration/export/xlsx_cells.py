"""Reads back what the XLSX writer wrote: per sheet, rows of (type, style, text) cells."""

import zipfile
from pathlib import Path
from xml.etree import ElementTree

NS = {"x": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
Cell = tuple[str, str, str]  # (t attribute or "n", style index, text)


def sheets(path: Path) -> list[list[list[Cell]]]:
    with zipfile.ZipFile(path) as archive:
        names = sorted(
            (name for name in archive.namelist() if name.startswith("xl/worksheets/sheet")),
            key=lambda name: int(name.removeprefix("xl/worksheets/sheet").removesuffix(".xml")),
        )
        return [_rows(archive.read(name)) for name in names]


def _rows(xml: bytes) -> list[list[Cell]]:
    root = ElementTree.fromstring(xml)
    return [
        [_cell(cell) for cell in row.findall("x:c", NS)]
        for row in root.findall("x:sheetData/x:row", NS)
    ]


def _cell(cell: ElementTree.Element) -> Cell:
    text = "".join(cell.itertext())
    return cell.get("t", "n"), cell.get("s", "0"), text


def bold_style(path: Path) -> str:
    """Index of the cell style whose font is bold."""
    with zipfile.ZipFile(path) as archive:
        root = ElementTree.fromstring(archive.read("xl/styles.xml"))
    fonts = root.findall("x:fonts/x:font", NS)
    bold_fonts = {
        str(index) for index, font in enumerate(fonts) if font.find("x:b", NS) is not None
    }
    styles = root.findall("x:cellXfs/x:xf", NS)
    return next(str(index) for index, xf in enumerate(styles) if xf.get("fontId") in bold_fonts)
