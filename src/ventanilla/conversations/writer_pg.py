"""The chat writer's batch on PostgreSQL: four round trips on the driver's connection.

The portable path (``writer._store``) runs five SQLAlchemy statements per batch, and their text
changes with the batch size (``IN (…)`` lists, multi-row ``VALUES``), so asyncpg prepares most
of them anew. Here every statement has one fixed text (arrays instead of lists), so asyncpg
prepares each once per connection, and the batch takes four round trips whatever its size:

1. ``BEGIN``;
2. lock the batch's conversation rows in id order (one lock order for every process's writer:
   no deadlocks) and read, in the same statement, the events that already carry one of the
   batch's ``client_id``s;
3. one statement that inserts the events, updates the conversations' counters and queues the
   assistant's replies (data-modifying CTEs fed by ``unnest`` of arrays);
4. ``COMMIT`` (``synchronous_commit`` as the server has it: durable by default).

They run on the writer's own connection (``Database.writer_connection``), not one taken from
the pool per batch (a checkout, a pre-ping round trip and a reset each time).

The second round trip reads resends with the statement's snapshot, taken before it waited for
the row locks, so a resend committed by another process while we waited may be missed; the
unique constraint on (conversation, client_id) then fails the batch and the writer retries each
message alone, which sees it. The rows stay the source of each conversation's next ``seq``.
Only after the commit are the frames published and the senders answered (``ack`` = stored).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from ventanilla.assistant import queue as assistant_queue
from ventanilla.conversations.frames import AGENTS, summary_json
from ventanilla.conversations.models import Conversation
from ventanilla.core.db import Database, utcnow

if TYPE_CHECKING:
    from ventanilla.conversations.writer import Posted, _ConvState, _Pending, _Plan
    from ventanilla.core.errors import AppError

# The resends are looked up pair by pair, (conversation, client_id) from the batch: one index
# probe each. ``e.client_id = ANY(all the batch's client ids)`` per conversation probed every
# combination, conversations x client ids: 82 ms for a batch of 200 x 300 (measured), which
# grew with the batches as the database fell behind, until 2,000 msgs/s collapsed.
_LOCK = """
WITH locked AS MATERIALIZED (
    SELECT id, status, agent_id, last_seq, last_message, last_agent_seq, last_agent_at
    FROM conversations WHERE id = ANY($1::varchar[]) ORDER BY id FOR UPDATE
), sent AS MATERIALIZED (
    SELECT e.conversation_id, e.client_id, e.seq, e.created_at
    FROM unnest($2::varchar[], $3::varchar[]) AS p(c, k)
    JOIN events AS e ON e.conversation_id = p.c AND e.client_id = p.k
)
SELECT l.id, l.status, l.agent_id, l.last_seq, l.last_message, l.last_agent_seq,
       l.last_agent_at, s.client_id, s.seq, s.created_at
FROM locked AS l
LEFT JOIN sent AS s ON s.conversation_id = l.id
"""

_WRITE = """
WITH new_events AS (
    INSERT INTO events (conversation_id, seq, kind, internal, author_role, author_id,
                        author_name, body, client_id, data, created_at)
    SELECT c, s, k, i, r, a, n, b, cl, '{}'::json, $10
    FROM unnest($1::varchar[], $2::int[], $3::varchar[], $4::bool[], $5::varchar[],
                $6::int[], $7::varchar[], $8::text[], $9::varchar[])
         AS u(c, s, k, i, r, a, n, b, cl)
), counters AS (
    UPDATE conversations AS conv
    SET last_seq = v.s, last_message = v.m, last_agent_seq = v.ags, last_agent_at = v.aat,
        agent_seen_seq = GREATEST(conv.agent_seen_seq, v.ags)
    FROM unnest($11::varchar[], $12::int[], $13::varchar[], $14::int[], $15::timestamptz[])
         AS v(id, s, m, ags, aat)
    WHERE conv.id = v.id
), jobs AS (
    INSERT INTO assistant_jobs (conversation_id, seq, text, created_at, attempts)
    SELECT c, s, t, $10, 0 FROM unnest($16::varchar[], $17::int[], $18::text[]) AS j(c, s, t)
)
SELECT 1
"""


async def store(db: Database, batch: list[_Pending]) -> list[tuple[_Pending, Posted | AppError]]:
    """Store a batch in one transaction, then publish its frames; the senders' answers."""
    from ventanilla.conversations.writer import _ConvState, _decide

    ids = sorted({p.conversation_id for p in batch})
    pairs = sorted({(p.conversation_id, p.client_id) for p in batch})
    pg: Any = await db.writer_connection()  # asyncpg.Connection, the writer's own
    try:
        async with pg.transaction():
            rows = await pg.fetch(_LOCK, ids, [c for c, _ in pairs], [k for _, k in pairs])
            convs: dict[str, _ConvState] = {}
            seen: dict[tuple[str, str], tuple[int, datetime]] = {}
            for r in rows:
                if r[0] not in convs:
                    convs[r[0]] = _ConvState(r[1], r[2], r[3], r[4], r[5], r[6])
                if r[7] is not None:
                    seen[(r[0], r[7])] = (r[8], r[9])
            now = utcnow()
            plan = _decide(batch, convs, seen, now)
            if plan.rows:
                await pg.execute(_WRITE, *_write_args(plan.rows, convs, plan, now))
    except BaseException:
        if pg.is_closed() or pg.is_in_transaction():
            db.writer_connection_broken()
        raise
    if plan.outgoing and db.after_commit is not None:
        await db.after_commit(plan.outgoing)
    if plan.waiting_touched:  # the queue shows the last message (read after the commit)
        async with db.unit() as uow:
            for conv_id in dict.fromkeys(plan.waiting_touched):
                conv_row = await uow.session.get(Conversation, conv_id)
                if conv_row is not None:
                    summary = summary_json(conv_row, None)
                    uow.publish(AGENTS, {"type": "conversation", "conversation": summary})
    return plan.results


def _write_args(
    rows: list[dict[str, Any]], convs: dict[str, _ConvState], plan: _Plan, now: datetime
) -> list[Any]:
    changed = [(conv_id, c) for conv_id, c in convs.items() if c.changed]
    jobs = [
        (conv_id, seq, body)
        for conv_id, seq, body, status in plan.citizen_messages
        if assistant_queue.wanted(status, body)
    ]
    return [
        [r["conversation_id"] for r in rows],
        [r["seq"] for r in rows],
        [r["kind"] for r in rows],
        [r["internal"] for r in rows],
        [r["author_role"] for r in rows],
        [r["author_id"] for r in rows],
        [r["author_name"] for r in rows],
        [r["body"] for r in rows],
        [r["client_id"] for r in rows],
        now,
        [conv_id for conv_id, _ in changed],
        [c.last_seq for _, c in changed],
        [c.last_message for _, c in changed],
        [c.last_agent_seq for _, c in changed],
        [c.last_agent_at for _, c in changed],
        [j[0] for j in jobs],
        [j[1] for j in jobs],
        [j[2] for j in jobs],
    ]
