"""What the app shares across requests: settings, database, hub, caches and limiters.

Built once by ``create_app`` and kept on ``app.state.ctx``; nothing here is global.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ventanilla.agents import repository as agents_repository
from ventanilla.assistant.runtime import AssistantRuntime
from ventanilla.conversations.hub import Hub
from ventanilla.conversations.writer import MessageWriter
from ventanilla.core.broker import create_broker, state_client
from ventanilla.core.db import Database, UnitOfWork
from ventanilla.core.jobs import Scheduler
from ventanilla.core.metrics import Metrics
from ventanilla.core.presence import MemoryPresence, Presence, RedisPresence
from ventanilla.core.ratelimit import Limiter, create_limiter
from ventanilla.entity.service import EntityService
from ventanilla.notifications.worker import MailWorker
from ventanilla.settings import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis


@dataclass
class Context:
    settings: Settings
    db: Database
    hub: Hub
    entity: EntityService
    presence: Presence
    citizen_messages: Limiter
    conversation_starts: Limiter
    logins: Limiter
    assistant: AssistantRuntime
    jobs: Scheduler
    writer: MessageWriter
    metrics: Metrics
    redis: Redis | None = None  # shared state (presence, rate limits) with the Redis broker
    mail_worker: MailWorker | None = None

    async def someone_attends(self, uow: UnitOfWork) -> bool:
        """Is an agent connected (to any process) and available now?"""
        connected = await self.presence.connected()
        return await agents_repository.any_available(uow.session, sorted(connected))

    def wake_mail(self) -> None:
        """Ask the mail worker to run now instead of at its next tick."""
        if self.mail_worker is not None:
            self.mail_worker.wake.set()

    @classmethod
    def build(cls, settings: Settings) -> Context:
        limits = settings.limits
        db = Database(settings.database_url)
        hub = Hub(create_broker(settings.broker_url))
        jobs = Scheduler(db, settings.jobs)
        metrics = Metrics(jobs.owner, settings.metrics.share_seconds)

        async def after_commit(outgoing: list[tuple[str, bytes]]) -> None:
            metrics.count_committed(outgoing)
            await hub.publish(outgoing)

        db.after_commit = after_commit
        redis = state_client(settings.broker_url, settings.cluster.redis_timeout_seconds)
        presence: Presence = (
            MemoryPresence()
            if redis is None
            else RedisPresence(redis, ttl_seconds=settings.cluster.presence_ttl_seconds)
        )
        return cls(
            settings=settings,
            db=db,
            hub=hub,
            entity=EntityService(),
            presence=presence,
            citizen_messages=create_limiter(
                redis,
                "messages",
                limits.citizen_messages_per_window,
                limits.citizen_message_window_seconds,
            ),
            conversation_starts=create_limiter(
                redis, "starts", limits.conversations_per_ip_per_hour, 3600
            ),
            logins=create_limiter(
                redis, "logins", limits.logins_per_window, limits.login_window_seconds
            ),
            assistant=AssistantRuntime(settings),
            jobs=jobs,
            metrics=metrics,
            writer=MessageWriter(db),
            redis=redis,
        )

    @property
    def own_origin(self) -> str:
        parts = urlsplit(self.settings.base_url)
        return f"{parts.scheme}://{parts.netloc}".lower()
