"""The fixed parts of an XLSX package around its worksheets: content types, relations, styles.

No document properties: they would carry a creation time, and the same rows must give the
same bytes. Styles: 0 normal, 1 bold (the header), 2 `yyyy-mm-dd`, 3 `yyyy-mm-dd hh:mm:ss`.
"""

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOCUMENT = "application/vnd.openxmlformats-officedocument"

ROOT_RELATIONS = (
    f'{XML_DECLARATION}<Relationships xmlns="{PACKAGE_RELATIONSHIPS_NS}">'
    f'<Relationship Id="rId1" Type="{RELATIONSHIPS_NS}/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)

STYLES = (
    f'{XML_DECLARATION}<styleSheet xmlns="{MAIN_NS}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)

# The header row stays in view while scrolling.
SHEET_START = (
    f'{XML_DECLARATION}<worksheet xmlns="{MAIN_NS}" xmlns:r="{RELATIONSHIPS_NS}">'
    '<sheetViews><sheetView{selected} workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    '<selection pane="bottomLeft"/></sheetView></sheetViews>'
    '<sheetFormatPr defaultRowHeight="15"/><sheetData>'
)
SHEET_END = (
    '</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" '
    'header="0.3" footer="0.3"/></worksheet>'
)


def sheet_path(number: int) -> str:
    return f"xl/worksheets/sheet{number}.xml"


def sheet_start(number: int) -> str:
    return SHEET_START.format(selected=' tabSelected="1"' if number == 1 else "")


def content_types(sheet_count: int) -> str:
    sheets = "".join(
        f'<Override PartName="/{sheet_path(number)}" '
        f'ContentType="{_DOCUMENT}.spreadsheetml.worksheet+xml"/>'
        for number in range(1, sheet_count + 1)
    )
    return (
        f'{XML_DECLARATION}<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" '
        f'ContentType="{_DOCUMENT}.spreadsheetml.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_DOCUMENT}.spreadsheetml.styles+xml"/>'
        f"{sheets}</Types>"
    )


def workbook(sheet_count: int) -> str:
    sheets = "".join(
        f'<sheet name="Sheet{number}" sheetId="{number}" r:id="rId{number}"/>'
        for number in range(1, sheet_count + 1)
    )
    return (
        f'{XML_DECLARATION}<workbook xmlns="{MAIN_NS}" xmlns:r="{RELATIONSHIPS_NS}">'
        f"<bookViews><workbookView/></bookViews><sheets>{sheets}</sheets></workbook>"
    )


def workbook_relations(sheet_count: int) -> str:
    sheets = "".join(
        f'<Relationship Id="rId{number}" Type="{RELATIONSHIPS_NS}/worksheet" '
        f'Target="worksheets/sheet{number}.xml"/>'
        for number in range(1, sheet_count + 1)
    )
    styles = (
        f'<Relationship Id="rId{sheet_count + 1}" Type="{RELATIONSHIPS_NS}/styles" '
        'Target="styles.xml"/>'
    )
    return (
        f'{XML_DECLARATION}<Relationships xmlns="{PACKAGE_RELATIONSHIPS_NS}">'
        f"{sheets}{styles}</Relationships>"
    )
