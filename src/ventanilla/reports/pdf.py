"""The monthly report as PDF (fpdf2): what a public entity publishes about its service — the
headline, the figures, charts drawn as vectors, the heatmap, the findings."""

from __future__ import annotations

from datetime import date
from typing import Any

from fpdf import FPDF

from ventanilla.conversations.frames import request_type_label
from ventanilla.core.i18n import translate
from ventanilla.reports.charts import heat_color, nice_max
from ventanilla.reports.units import duration

BLUE = (31, 78, 140)
GREY = (90, 90, 90)
GREEN = (46, 125, 50)
RED = (183, 28, 28)
AMBER = (191, 120, 0)
LIGHT = (232, 238, 246)


def _latin(text: str) -> str:
    """The PDF's core fonts speak Latin-1 (every Spanish letter is there)."""
    text = text.replace("–", "-").replace("—", "-").replace("≥", ">=").replace("…", "...")
    return text.encode("latin-1", "replace").decode("latin-1")


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{round(100 * v)} %"


class Report(FPDF):
    def __init__(self, title: str, footer: str) -> None:
        super().__init__(format="A4")
        self.report_title = _latin(title)
        self.footer_text = _latin(footer)
        self.set_auto_page_break(True, 18)
        self.set_title(self.report_title)
        self.set_creator("Ventanilla")

    def header(self) -> None:
        self.set_font("Helvetica", "B", 9)
        self.set_text_color(*GREY)
        self.cell(0, 6, self.report_title, new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", "", 8)
        self.set_text_color(*GREY)
        self.cell(0, 6, f"{self.footer_text} - {self.page_no()}/{{nb}}", align="C")

    def h1(self, text: str) -> None:
        self.set_font("Helvetica", "B", 18)
        self.set_text_color(*BLUE)
        self.multi_cell(0, 9, _latin(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def h2(self, text: str) -> None:
        if self.get_y() > 240:
            self.add_page()
        self.ln(3)
        self.set_font("Helvetica", "B", 13)
        self.set_text_color(*BLUE)
        self.cell(0, 8, _latin(text), new_x="LMARGIN", new_y="NEXT")

    def para(self, text: str, size: int = 10) -> None:
        self.set_font("Helvetica", "", size)
        self.set_text_color(20, 20, 20)
        self.multi_cell(0, 5, _latin(text), new_x="LMARGIN", new_y="NEXT")

    def tiles(self, items: list[tuple[str, str]]) -> None:
        """Key figures in boxes, four per row."""
        w, h, gap = 44.0, 20.0, 2.0
        y0 = self.get_y()
        for i, (value, label) in enumerate(items):
            row, col = divmod(i, 4)
            x, y = self.l_margin + col * (w + gap), y0 + row * (h + gap)
            self.set_fill_color(*LIGHT)
            self.rect(x, y, w, h, style="F")
            self.set_xy(x, y + 2)
            self.set_font("Helvetica", "B", 14)
            self.set_text_color(*BLUE)
            self.cell(w, 8, _latin(value), align="C")
            self.set_xy(x + 1, y + 11)
            self.set_font("Helvetica", "", 7.5)
            self.set_text_color(*GREY)
            self.multi_cell(w - 2, 3.5, _latin(label), align="C")
        self.set_y(y0 + ((len(items) + 3) // 4) * (h + gap) + 2)

    def grid(self, header: list[str], rows: list[list[str]], widths: list[float]) -> None:
        self.set_font("Helvetica", "B", 8)
        self.set_fill_color(*LIGHT)
        self.set_text_color(20, 20, 20)
        for text, w in zip(header, widths, strict=True):
            self.cell(w, 6, _latin(text), border=1, fill=True)
        self.ln()
        self.set_font("Helvetica", "", 8)
        for row in rows:
            if self.get_y() > 270:
                self.add_page()
            for text, w in zip(row, widths, strict=True):
                self.cell(w, 5.5, _latin(str(text))[:40], border=1)
            self.ln()

    def bars(
        self, labels: list[str], series: list[tuple[str, list[float], tuple[int, int, int]]]
    ) -> None:
        """A stacked bar chart with axis, grid lines and a legend."""
        x0, width, height = self.l_margin + 10, 170.0, 55.0
        if self.get_y() > 200:
            self.add_page()
        y0 = self.get_y() + 2
        totals = [sum(s[1][i] for s in series) for i in range(len(labels))]
        top = nice_max(max(totals or [0]))
        self.set_draw_color(200, 200, 200)
        self.set_font("Helvetica", "", 7)
        self.set_text_color(*GREY)
        for k in range(5):
            y = y0 + height - height * k / 4
            self.line(x0, y, x0 + width, y)
            self.set_xy(x0 - 11, y - 2)
            self.cell(10, 4, f"{top * k / 4:g}", align="R")
        n = max(1, len(labels))
        bw = width / n
        for i, label in enumerate(labels):
            base = y0 + height
            for _, values, color in series:
                h = height * values[i] / top if top else 0
                if h > 0:
                    self.set_fill_color(*color)
                    self.rect(x0 + i * bw + bw * 0.15, base - h, bw * 0.7, h, style="F")
                base -= h
            if n <= 12 or i % max(1, n // 10) == 0:
                self.set_xy(x0 + i * bw - 2, y0 + height + 1)
                self.cell(bw + 4, 4, _latin(label), align="C")
        ly = y0 + height + 7
        lx = x0
        for name, _, color in series:
            self.set_fill_color(*color)
            self.rect(lx, ly + 1, 3, 3, style="F")
            self.set_xy(lx + 4, ly)
            self.cell(40, 5, _latin(name))
            lx += 45
        self.set_y(ly + 8)

    def heatmap(self, cells: list[dict[str, Any]], lang: str) -> None:
        hours = sorted({int(c["hour"]) for c in cells}) or list(range(7, 18))
        hours = list(range(min(hours), max(hours) + 1))
        counts = {(int(c["weekday"]), int(c["hour"])): c["conversations"] for c in cells}
        top = max(counts.values() or [0])
        if self.get_y() > 210:
            self.add_page()
        x0, y0 = self.l_margin + 22, self.get_y() + 2
        cw = min(10.0, 160 / max(1, len(hours)))
        ch = 7.0
        self.set_font("Helvetica", "", 7)
        for j, h in enumerate(hours):
            self.set_xy(x0 + j * cw, y0)
            self.set_text_color(*GREY)
            self.cell(cw, 4, f"{h}", align="C")
        for w in range(7):
            y = y0 + 5 + w * ch
            self.set_xy(self.l_margin, y)
            self.cell(22, ch, _latin(translate(lang, f"weekday.{w}")))
            for j, h in enumerate(hours):
                n = counts.get((w, h), 0)
                r, g, b, dark = heat_color(n / top if top else 0)
                self.set_fill_color(r, g, b)
                self.rect(x0 + j * cw, y, cw - 0.5, ch - 0.5, style="F")
                if n:
                    self.set_xy(x0 + j * cw, y)
                    self.set_text_color(*((255, 255, 255) if dark else (20, 20, 20)))
                    self.cell(cw - 0.5, ch - 0.5, f"{int(n)}", align="C")
        self.set_y(y0 + 5 + 7 * ch + 3)


def monthly_pdf(board: dict[str, Any], entity: str, month: date, lang: str) -> bytes:
    f = board["figures"]
    month_name = translate(lang, f"reports.month.{month.month}")
    title = translate(lang, "reports.pdf.title", entity=entity, month=month_name, year=month.year)
    pdf = Report(title, translate(lang, "reports.pdf.footer", entity=entity))
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.h1(title)
    pdf.para(
        translate(
            lang,
            "reports.pdf.headline",
            month=month_name,
            year=month.year,
            citizens=f["citizens"],
            conversations=f["conversations"],
            assistant=f["assistant_only"],
            attended=f["attended"],
            within=_pct(f["first_response_within_share"]),
            satisfaction="-" if f["satisfaction_avg"] is None else f"{f['satisfaction_avg']:.1f}",
        ),
        11,
    )
    pdf.ln(3)
    score = board["score"]["value"]
    pdf.tiles(
        [
            (str(f["citizens"]), translate(lang, "reports.metric.citizens")),
            (str(f["conversations"]), translate(lang, "reports.metric.conversations")),
            (str(f["assistant_only"]), translate(lang, "reports.metric.assistant_only")),
            ("-" if score is None else f"{score:g}", translate(lang, "reports.score")),
            (duration(f["wait_avg"], lang), translate(lang, "reports.metric.wait_avg")),
            (
                duration(f["first_response_avg"], lang),
                translate(lang, "reports.metric.first_response_avg"),
            ),
            (_pct(f["missed_share"]), translate(lang, "reports.metric.missed_share")),
            (
                "-" if f["satisfaction_avg"] is None else f"{f['satisfaction_avg']:.2f} / 5",
                translate(lang, "reports.metric.satisfaction_avg"),
            ),
        ]
    )
    pdf.h2(translate(lang, "reports.chart.daily"))
    trend = board["trend"]
    pdf.bars(
        [p["period"][8:10] for p in trend],
        [
            (
                translate(lang, "reports.series.attended"),
                [float(p["attended"]) for p in trend],
                BLUE,
            ),
            (
                translate(lang, "reports.series.assistant"),
                [float(p["assistant_only"]) for p in trend],
                GREEN,
            ),
            (translate(lang, "reports.series.missed"), [float(p["missed"]) for p in trend], RED),
        ],
    )
    pdf.h2(translate(lang, "reports.chart.satisfaction"))
    pdf.bars(
        [translate(lang, "reports.stars", n=i) for i in range(1, 6)],
        [
            (
                translate(lang, "reports.series.ratings"),
                [float(x) for x in f["satisfaction_dist"]],
                AMBER,
            )
        ],
    )
    pdf.h2(translate(lang, "reports.chart.heatmap"))
    pdf.heatmap(board["heatmap"], lang)
    pdf.h2(translate(lang, "reports.chart.by_request_type"))
    pdf.grid(
        [
            translate(lang, f"reports.col.{c}")
            for c in ("request_type", "conversations", "missed", "satisfaction_avg")
        ],
        [
            [
                request_type_label(r["key"], lang),
                r["conversations"],
                r["missed"],
                "-" if r["satisfaction_avg"] is None else f"{r['satisfaction_avg']:.2f}",
            ]
            for r in board["by_request_type"]
        ],
        [70, 35, 35, 40],
    )
    if board["agents"]:
        pdf.h2(translate(lang, "reports.chart.agents"))
        pdf.grid(
            [
                translate(lang, f"reports.col.{c}")
                for c in (
                    "name",
                    "attended",
                    "first_response_within_share",
                    "satisfaction_avg",
                    "score",
                )
            ],
            [
                [
                    a["name"],
                    a["attended"],
                    _pct(a["first_response_within_share"]),
                    "-" if a["satisfaction_avg"] is None else f"{a['satisfaction_avg']:.2f}",
                    "-" if a["score"] is None else f"{a['score']:g}",
                ]
                for a in board["agents"]
            ],
            [60, 25, 35, 30, 30],
        )
    if board.get("cases_on_time"):
        pdf.h2(translate(lang, "reports.chart.cases"))
        pdf.grid(
            [
                translate(lang, f"reports.col.{c}")
                for c in ("case_type", "answered", "on_time", "overdue_open", "on_time_share")
            ],
            [
                [r["label"], r["answered"], r["on_time"], r["overdue_open"], _pct(r["rate"])]
                for r in board["cases_on_time"]
            ],
            [62, 28, 28, 32, 30],
        )
    pdf.h2(translate(lang, "reports.findings"))
    if not board["findings"]:
        pdf.para(translate(lang, "reports.findings_none"))
    for item in board["findings"]:
        pdf.set_font("Helvetica", "B", 10)
        pdf.multi_cell(0, 5, _latin("- " + item["title"]), new_x="LMARGIN", new_y="NEXT")
        pdf.para(item["detail"], 9)
    return bytes(pdf.output())
