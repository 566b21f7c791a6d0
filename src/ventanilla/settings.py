"""One settings root, read from the environment (prefix ``VENTANILLA_``) by the app factory.

Nothing reads settings at import time: ``create_app(settings)`` and the CLI build a
``Settings`` and pass it down.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "development"}


class LimitsSettings(BaseModel):
    message_max_chars: int = 4000
    name_max_chars: int = 120
    frame_max_bytes: int = 16 * 1024
    citizen_messages_per_window: int = 20
    citizen_message_window_seconds: float = 10.0
    conversations_per_ip_per_hour: int = 30
    logins_per_window: int = 10
    login_window_seconds: float = 900.0
    send_queue_frames: int = 256


class RealtimeSettings(BaseModel):
    heartbeat_seconds: float = 25.0
    hello_timeout_seconds: float = 10.0
    # The chat's websockets on their own listener (web/socket_server.py, docs/operations.md):
    # 0 serves them on the HTTP port only, through Granian (~170 KiB per open socket); a port
    # serves them there too, in every worker (SO_REUSEPORT), at ~28 KiB per open socket.
    sockets_port: int = Field(default=0, ge=0, le=65535)
    sockets_host: str = "127.0.0.1"
    # Where browsers open them. Empty: the page's own origin when sockets_port is 0, else
    # base_url's host at sockets_port. Behind a proxy that routes /ws/ to sockets_port, set
    # it to base_url's origin with ws(s)://.
    socket_url: str = ""


class MailSettings(BaseModel):
    """Outgoing SMTP, incoming mail (SMTP receiver and/or IMAP) and the citizen-email rules.

    With no ``smtp_host`` mail is *captured*: kept in the outbox and shown in the console (and the
    demo's mailbox) instead of being sent.
    """

    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_timeout_seconds: float = 20.0
    from_address: str = "no-responder@ventanilla.local"
    from_name: str = ""
    reply_to: str = ""
    # Replies: "respuesta@correo.entidad.gov.co" makes Reply-To "respuesta+<conversation>.<sig>@…"
    inbound_address: str = ""
    smtp_receiver_host: str = "127.0.0.1"
    smtp_receiver_port: int = 0  # 0: no built-in SMTP receiver in this process
    imap_host: str = ""
    imap_port: int = 993
    imap_ssl: bool = True
    imap_user: str = ""
    imap_password: str = ""
    imap_folder: str = "INBOX"
    imap_poll_seconds: float = 60.0
    unseen_delay_seconds: float = 120.0
    link_ttl_hours: float = 168.0
    worker_interval_seconds: float = 2.0
    max_attempts: int = 12
    retry_base_seconds: float = 5.0  # backoff: base * 2^(attempt-1), at most an hour
    lease_seconds: float = 120.0  # a sender that dies releases its emails after this
    worker: bool = True  # run the outbox sender and the unseen-message scan in this process


class JobsSettings(BaseModel):
    """Background jobs under database leases (``core.jobs``)."""

    enabled: bool = True  # run the scheduler in this process (every process may run it)
    poll_seconds: float = 5.0  # how often a process looks for due jobs
    lease_seconds: float = 60.0  # a dead process's job is taken over after this
    retry_seconds: float = 60.0  # a failed job is tried again after this
    timezone: str = "America/Bogota"  # of the daily ``at=`` times


class ClusterSettings(BaseModel):
    """State shared by several processes through Redis (when the broker is Redis)."""

    presence_ttl_seconds: float = 15.0  # a dead process's console sockets vanish after this
    redis_timeout_seconds: float = 2.0  # then presence and rate limits use this process's view
    # Reverse proxies (addresses or CIDR) whose X-Forwarded-For/-Proto are believed, e.g.
    # ["127.0.0.1"] behind a local nginx. Empty: the peer's address is the client's.
    trusted_proxies: list[str] = []


class MetricsSettings(BaseModel):
    """``/metrics`` (Prometheus): open to these addresses, or to anyone sending the token."""

    allow: list[str] = ["127.0.0.1/32", "::1/128"]  # networks (CIDR) of the scrapers
    token: str = ""  # "Authorization: Bearer <token>"; empty: addresses only
    share_seconds: float = 10.0  # with Redis: how often a process shares its figures


class AssistantSettings(BaseModel):
    """The assistant (issue 3): where embeddings are cached; off switch for the whole server."""

    enabled: bool = True
    cache_dir: Path | None = None  # default: <data_dir>/cache


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="VENTANILLA_", env_nested_delimiter="__", extra="ignore"
    )

    environment: Literal["development", "production", "test", "demo"] = "development"
    database_url: str = "sqlite+aiosqlite:///./ventanilla.db"
    broker_url: str = "memory://"
    secret_key: str = Field(default_factory=lambda: secrets.token_urlsafe(32))
    base_url: str = "http://127.0.0.1:8000"
    default_lang: str = "es-CO"
    session_hours: float = 12.0
    data_dir: Path = Path(".")
    filing_prefix: str = "PQRSD"  # filing numbers look like PREFIX-2026-000123
    demo: bool = False
    limits: LimitsSettings = LimitsSettings()
    realtime: RealtimeSettings = RealtimeSettings()
    mail: MailSettings = MailSettings()
    assistant: AssistantSettings = AssistantSettings()
    jobs: JobsSettings = JobsSettings()
    cluster: ClusterSettings = ClusterSettings()
    metrics: MetricsSettings = MetricsSettings()

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.environment == "production" and (
            self.secret_key.lower() in _PLACEHOLDER_SECRETS or len(self.secret_key) < 32
        ):
            raise ValueError(
                "VENTANILLA_SECRET_KEY must be set to a random value of at least 32 characters "
                "in production"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def public_socket_url(self) -> str:
        """The ws(s):// origin browsers open the chat's websockets on; "" for the page's own."""
        rt = self.realtime
        if rt.socket_url:
            return rt.socket_url.rstrip("/")
        if not rt.sockets_port:
            return ""
        parts = urlsplit(self.base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        return f"{scheme}://{parts.hostname}:{rt.sockets_port}"
