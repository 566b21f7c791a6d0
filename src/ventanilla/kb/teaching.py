"""Supervisors teach the assistant from the questions it could not answer: a group of them is
labelled as answered by an entry, or as not for the assistant (another entity's matter, a near
miss). The labelled questions join the engine's examples at once (``assistant/examples.py``;
every process rebuilds on the new revision) and leave the list (marked, not deleted: the
reports of their period still count them).

They are kept apart from the calibration's own examples, under ``TAUGHT`` in ``kb_state``'s
calibration, so importing a new calibration keeps them (``service.bump``). They change the
features of messages like them, not the weights or thresholds: a message like one labelled "not
for the assistant" goes to a person, one like a question labelled with an entry is answered
with it when the calibrated confidence says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ventanilla.assistant import repository as assistant_repository
from ventanilla.core.db import UnitOfWork, utcnow
from ventanilla.core.errors import AppError, NotFound
from ventanilla.kb import repository, service

TAUGHT = service.TAUGHT
TEACH_MAX = 500  # questions labelled at once (a group of the list holds at most that many)


def taught(calibration: dict[str, Any] | None) -> list[list[Any]]:
    return [list(pair) for pair in (calibration or {}).get(TAUGHT) or ()]


async def teach(uow: UnitOfWork, ids: Sequence[int], entry_id: str | None) -> int:
    """Label the unanswered questions ``ids`` with ``entry_id`` (None: not for the assistant).
    All or nothing: an unknown or inactive entry, or a question no longer in the list, refuses
    the whole request and changes nothing. Returns how many questions were labelled."""
    wanted = sorted(set(ids))
    if not wanted or len(wanted) > TEACH_MAX:
        raise AppError("kb_teach_count", field="ids", most=TEACH_MAX)
    if entry_id is not None:
        entry = await repository.get(uow.session, entry_id)
        if entry is None or not entry.active:
            raise AppError("kb_teach_entry", field="entry_id")
    state = await repository.lock_state(uow.session)  # two supervisors teaching: one at a time
    rows = await assistant_repository.untaught_by_ids(uow.session, wanted)
    if len(rows) != len(wanted):
        raise NotFound("kb_teach_gone")
    calibration = dict(state.calibration or {})
    pairs = taught(calibration)
    seen = {(q, e) for q, e in pairs}
    now = utcnow()
    for row in rows:
        row.taught_at, row.taught_as = now, entry_id or ""
        if (row.text, entry_id) not in seen:
            pairs.append([row.text, entry_id])
            seen.add((row.text, entry_id))
    await service.bump(uow, {**calibration, TAUGHT: pairs})
    return len(rows)
