"""Tables of the core: leases of the background jobs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ventanilla.core.db import Base, UTCDateTime


class JobLease(Base):
    """One row per registered job: who runs it now (a lease) and when it last succeeded.

    A process runs a job only after winning ``UPDATE … WHERE expires_at < now``; it renews
    ``expires_at`` while the job runs and releases it at the end. A process that dies simply
    stops renewing, and another one takes the job over once the lease has expired.
    """

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    owner: Mapped[str] = mapped_column(String(120), default="")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    runs: Mapped[int] = mapped_column(Integer, default=0)
