"""A small, fast XLSX (Office Open XML) writer for plain tables.

xlsxwriter spends ~7 µs per cell in Python (708 ms CPU for a month's four sheets; 1,140 ms with
``constant_memory``; bench/README.md): with the month's queries that leaves nothing of the
one-second budget on this hardware. These workbooks need only text and numbers with a bold
header row, so the sheets are written directly as XML (inline strings) and zipped: a few
hundred milliseconds for a month. The result opens in Excel, LibreOffice and openpyxl (tested).
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from typing import Any
from xml.sax.saxutils import escape

Table = tuple[list[str], list[list[Any]]]

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "{sheets}</Types>"
)
_SHEET_TYPE = (
    '<Override PartName="/xl/worksheets/sheet{n}.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_NS_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


def column_name(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = chr(65 + rem) + name
    return name


_ROW = "\x00"  # stands for the row number; never in text (control characters are removed)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XML 1.0


def _row(values: list[Any], style: str, cache: dict[str, str]) -> str:
    """One row's cells. A cell's ``r`` reference is optional when it follows the previous one;
    after an empty value the next cell names its column (row number filled in by the caller).
    Text cells are built once per distinct text, style and position (most texts repeat: yes/no,
    channel, agent, type); numbers are cheaper to format than to look up."""
    out = []
    col = 0
    skipped = False
    for value in values:
        col += 1
        if value is None or value == "":
            skipped = True
            continue
        ref = f' r="{column_name(col - 1)}{_ROW}"' if skipped else ""
        if isinstance(value, str):
            key = f"{ref}{style}\x00{value}" if ref or style else value
            cell = cache.get(key)
            if cell is None:
                text = escape(_CONTROL.sub("", value))
                cell = (
                    f'<c{ref}{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
                )
                if len(cache) < 50_000:
                    cache[key] = cell
        elif isinstance(value, bool):
            cell = f'<c{ref}{style} t="b"><v>{int(value)}</v></c>'
        elif isinstance(value, int | float) and math.isfinite(value):
            cell = f"<c{ref}{style}><v>{value!r}</v></c>"
        else:
            text = escape(_CONTROL.sub("", str(value)))
            cell = f'<c{ref}{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
        out.append(cell)
    return "".join(out)


def _sheet(header: list[str], rows: list[list[Any]]) -> str:
    width = max(len(header), *(len(r) for r in rows), 1)
    cache: dict[str, str] = {}
    parts = [
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {_NS}>',
        f'<dimension ref="A1:{column_name(width - 1)}{len(rows) + 1}"/>',
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
        'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>',
        f'<cols><col min="1" max="{width}" width="18" customWidth="1"/></cols><sheetData>',
    ]
    for r, row in enumerate([header, *rows], 1):
        cells = _row(row, ' s="1"' if r == 1 else "", cache)
        if _ROW in cells:
            cells = cells.replace(_ROW, str(r))
        parts.append(f'<row r="{r}">{cells}</row>')
    parts.append("</sheetData></worksheet>")
    return "".join(parts)


def workbook(sheets: list[tuple[str, Table]]) -> bytes:
    """An .xlsx file with one sheet per (name, (header, rows)); names are cut to 31 characters."""
    buf = io.BytesIO()
    names = [escape(name[:31]) for name, _ in sheets]
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr(
            "[Content_Types].xml",
            _CONTENT_TYPES.format(
                sheets="".join(_SHEET_TYPE.format(n=i) for i in range(1, len(sheets) + 1))
            ),
        )
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook {_NS} {_NS_R}>'
            "<sheets>"
            + "".join(
                f'<sheet name="{n}" sheetId="{i}" r:id="rId{i}"/>' for i, n in enumerate(names, 1)
            )
            + "</sheets></workbook>",
        )
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/'
            f'2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        styles_id = len(sheets) + 1
        rels += (
            f'<Relationship Id="rId{styles_id}" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/styles" Target="styles.xml"/>'
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
            f'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}'
            "</Relationships>",
        )
        z.writestr("xl/styles.xml", _STYLES)
        for i, (_, (header, rows)) in enumerate(sheets, 1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", _sheet(header, rows))
    return buf.getvalue()
