"""Exports of a period: conversations and figures as CSV or XLSX (``reports.xlsx``).

Conversations are exported without the citizen's name or email (Ley 1581: the export is for
measuring the service, which needs neither); the conversation id finds one in the history.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from ventanilla.conversations.frames import request_type_label
from ventanilla.core.i18n import translate
from ventanilla.reports import queries, service, xlsx
from ventanilla.reports.schemas import Period

MAX_ROWS = 200_000
TABLES = ("conversations", "daily", "agents")
Table = tuple[list[str], list[list[Any]]]

CONV_COLS = (
    "conversation",
    "day",
    "start",
    "weekday",
    "hour",
    "agent",
    "request_type",
    "category",
    "channel",
    *queries.OUTCOME_COLUMNS,
    "wait_s",
    "first_response_s",
    "first_response_within",
    "response_avg_s",
    "handling_s",
    "rating",
    "resolved",
)


def _utc(value: datetime | str) -> datetime:
    """A stored UTC instant: text from SQLite (naive, UTC), a datetime from PostgreSQL."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _r(value: float | None, digits: int = 1) -> float | None:
    return round(value, digits) if value is not None else None


async def conversations_table(
    session: AsyncSession, p: Period, tz: ZoneInfo, lang: str, names: dict[int, str]
) -> Table:
    rows = await queries.facts_rows(session, p, MAX_ROWS)
    ratings = await queries.ratings_in(session, p)
    yes, no = translate(lang, "reports.yes"), translate(lang, "reports.no")
    weekdays = [translate(lang, f"weekday.{i}") for i in range(7)]
    channels = {c: translate(lang, f"reports.channel.{c}") for c in ("chat", "email", "offline")}
    types: dict[str, str] = {}

    yn = {None: "", True: yes, False: no}  # 1/0 from drivers that give integers hash the same
    out = []
    # unpacked in the order of ``queries.facts_rows`` (day, start, then EXPORT_COLUMNS)
    for (
        day,
        started_at,
        conversation_id,
        weekday,
        hour,
        agent_id,
        request_type,
        category,
        channel,
        assistant_only,
        handed_over,
        attended,
        missed,
        abandoned,
        transfers,
        reopened,
        wait_seconds,
        first_response_seconds,
        first_response_within,
        response_sum,
        response_count,
        handling_seconds,
    ) in rows:
        score, resolved = ratings.get(conversation_id, (None, None))
        if request_type not in types:
            types[request_type] = request_type_label(request_type, lang)
        out.append(
            [
                conversation_id,
                str(day)[:10],
                _utc(started_at).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
                weekdays[weekday],
                hour,
                names.get(agent_id or 0, ""),
                types[request_type],
                category,
                channels.get(channel, channel),
                yn[assistant_only],
                yn[handed_over],
                yn[attended],
                yn[missed],
                yn[abandoned],
                transfers,
                reopened,
                _r(wait_seconds),
                _r(first_response_seconds),
                yn[first_response_within],
                _r(response_sum / response_count) if response_count else None,
                _r(handling_seconds),
                score,
                yn[resolved],
            ]
        )
    return [translate(lang, f"reports.col.{c}") for c in CONV_COLS], out


TREND_COLS = (
    "period",
    "conversations",
    "attended",
    "assistant_only",
    "missed",
    "missed_share",
    "wait_avg",
    "first_response_avg",
    "first_response_within_share",
    "handling_avg",
    "satisfaction_avg",
    "resolved_share",
    "score",
)
AGENT_COLS = (
    "name",
    "conversations",
    "attended",
    "missed",
    "first_response_avg",
    "first_response_within_share",
    "response_avg",
    "handling_avg",
    "rated",
    "satisfaction_avg",
    "resolved_share",
    "available_hours",
    "concurrent_load",
    "score",
)


def _num(v: Any) -> Any:
    return round(v, 3) if isinstance(v, float) else v


def trend_table(board: dict[str, Any], lang: str) -> Table:
    header = [translate(lang, f"reports.col.{c}") for c in TREND_COLS]
    return header, [[_num(p.get(c)) for c in TREND_COLS] for p in board["trend"]]


def agents_table(board: dict[str, Any], lang: str) -> Table:
    header = [translate(lang, f"reports.col.{c}") for c in AGENT_COLS]
    rows = []
    for a in board["agents"]:
        a = {**a, "available_hours": a["available_seconds"] / 3600}
        rows.append([_num(a.get(c)) for c in AGENT_COLS])
    return header, rows


def summary_table(board: dict[str, Any], lang: str) -> Table:
    f = board["figures"]
    rows: list[list[Any]] = [
        [
            translate(lang, "reports.col.period"),
            f"{board['period']['start']} – {board['period']['end']}",
        ],
        [translate(lang, "reports.score"), board["score"]["value"]],
    ]
    for key in (
        "conversations",
        "citizens",
        "attended",
        "assistant_only",
        "handed_over",
        "missed",
        "missed_share",
        "abandoned",
        "transfers",
        "reopened",
        "wait_avg",
        "first_response_avg",
        "first_response_within_share",
        "response_avg",
        "handling_avg",
        "rated",
        "satisfaction_avg",
        "resolved_share",
    ):
        rows.append([translate(lang, f"reports.metric.{key}"), _num(f[key])])
    for channel, n in f["by_channel"].items():
        rows.append([translate(lang, f"reports.channel.{channel}"), n])
    for i, n in enumerate(f["satisfaction_dist"], 1):
        rows.append([translate(lang, "reports.stars", n=i), n])
    return [translate(lang, "reports.col.metric"), translate(lang, "reports.col.value")], rows


def to_csv(table: Table) -> bytes:
    """UTF-8 with a BOM, so spreadsheet programs read the accents right."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    header, rows = table
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(sheets: list[tuple[str, Table]]) -> bytes:
    return xlsx.workbook(sheets)


async def export(
    session: AsyncSession,
    p: Period,
    tz: ZoneInfo,
    lang: str,
    fmt: str,
    table: str = "conversations",
    *,
    supervisor: bool,
) -> bytes:
    """The file for a period already ``scoped`` to the viewer. Only what the file holds is
    computed (a CSV of conversations needs no dashboard; the others only its tables)."""
    names = await queries.agent_names(session)
    if fmt == "csv" and table == "conversations":
        return to_csv(await conversations_table(session, p, tz, lang, names))
    board = await service.dashboard(
        session, p, "day", lang, supervisor=supervisor, tables_only=True
    )
    if fmt == "csv":
        return to_csv(trend_table(board, lang) if table == "daily" else agents_table(board, lang))
    sheets = [
        (translate(lang, "reports.sheet.summary"), summary_table(board, lang)),
        (translate(lang, "reports.sheet.trend"), trend_table(board, lang)),
        (translate(lang, "reports.sheet.agents"), agents_table(board, lang)),
        (
            translate(lang, "reports.sheet.conversations"),
            await conversations_table(session, p, tz, lang, names),
        ),
    ]
    return to_xlsx(sheets)
