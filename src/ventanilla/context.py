"""What the app shares across requests: settings, database, hub, caches and limiters.

Built once by ``create_app`` and kept on ``app.state.ctx``; nothing here is global.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ventanilla.agents import repository as agents_repository
from ventanilla.assistant.runtime import AssistantRuntime
from ventanilla.conversations.hub import Hub
from ventanilla.conversations.writer import MessageWriter
from ventanilla.core.broker import create_broker
from ventanilla.core.db import Database, UnitOfWork
from ventanilla.core.jobs import Scheduler
from ventanilla.core.ratelimit import RateLimiter
from ventanilla.entity.service import EntityService
from ventanilla.notifications.worker import MailWorker
from ventanilla.settings import Settings


@dataclass
class Presence:
    """Open console sockets per agent in this process (an agent with none is 'disconnected')."""

    sockets: Counter[int] = field(default_factory=Counter)

    def connect(self, user_id: int) -> bool:
        self.sockets[user_id] += 1
        return self.sockets[user_id] == 1

    def disconnect(self, user_id: int) -> bool:
        self.sockets[user_id] -= 1
        if self.sockets[user_id] <= 0:
            del self.sockets[user_id]
            return True
        return False

    def effective(self, user_id: int, presence: str) -> str:
        return presence if self.sockets.get(user_id) else "disconnected"


@dataclass
class Context:
    settings: Settings
    db: Database
    hub: Hub
    entity: EntityService
    presence: Presence
    citizen_messages: RateLimiter
    conversation_starts: RateLimiter
    logins: RateLimiter
    assistant: AssistantRuntime
    jobs: Scheduler
    writer: MessageWriter
    mail_worker: MailWorker | None = None

    async def someone_attends(self, uow: UnitOfWork) -> bool:
        """Is an agent connected and available now (in this process's view)?"""
        return await agents_repository.any_available(uow.session, list(self.presence.sockets))

    def wake_mail(self) -> None:
        """Ask the mail worker to run now instead of at its next tick."""
        if self.mail_worker is not None:
            self.mail_worker.wake.set()

    @classmethod
    def build(cls, settings: Settings) -> Context:
        limits = settings.limits
        db = Database(settings.database_url)
        hub = Hub(create_broker(settings.broker_url))
        db.after_commit = hub.publish
        return cls(
            settings=settings,
            db=db,
            hub=hub,
            entity=EntityService(),
            presence=Presence(),
            citizen_messages=RateLimiter(
                limits.citizen_messages_per_window, limits.citizen_message_window_seconds
            ),
            conversation_starts=RateLimiter(limits.conversations_per_ip_per_hour, 3600),
            logins=RateLimiter(limits.logins_per_window, limits.login_window_seconds),
            assistant=AssistantRuntime(settings),
            jobs=Scheduler(db, settings.jobs),
            writer=MessageWriter(db),
        )

    @property
    def own_origin(self) -> str:
        parts = urlsplit(self.settings.base_url)
        return f"{parts.scheme}://{parts.netloc}".lower()
