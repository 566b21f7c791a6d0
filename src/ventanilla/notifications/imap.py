"""Fetching citizens' replies from an IMAP mailbox, for entities whose mail server cannot
deliver to our SMTP receiver.

``imaplib`` is blocking, so every IMAP command runs in a worker thread while the handler runs
in the event loop. A message is flagged ``\\Seen`` only after the handler returned: if the
process dies or the handler raises, the message stays unseen and is fetched again by the next
poll. Delivery is therefore at least once; the handler must tolerate a repeat (the same
Message-ID), and should return normally, not raise, for mail that will never be accepted
(unreadable, too large) or it will be fetched again on every poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import logging
import re
import ssl as ssl_module
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

log = logging.getLogger(__name__)

Handler = Callable[[bytes], Awaitable[None]]
T = TypeVar("T")


class ImapError(Exception):
    """The IMAP server refused a command or answered something unexpected."""


class ImapAuthError(ImapError):
    """The server refused the credentials (retrying soon will not help)."""


class ImapConnectionError(ImapError):
    """The server could not be reached or the connection broke."""


class ImapPoller:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        username: str,
        password: str,
        handle: Handler,
        folder: str = "INBOX",
        ssl: bool = True,
        starttls: bool = False,
        ssl_context: ssl_module.SSLContext | None = None,
        timeout: float = 30.0,
        handle_timeout: float = 120.0,
        max_messages: int = 100,
    ) -> None:
        """``ssl`` uses IMAP over TLS (port 993); otherwise plain IMAP (143), upgraded with
        STARTTLS when ``starttls``. ``timeout`` bounds every network operation,
        ``handle_timeout`` each handler call, and ``max_messages`` one poll."""
        self.host, self.port, self.username, self._password = host, port, username, password
        self.folder, self.ssl, self.starttls = folder, ssl, starttls
        self.ssl_context = ssl_context
        self.timeout, self.handle_timeout, self.max_messages = timeout, handle_timeout, max_messages
        self._handle = handle
        self._failed: set[str] = set()  # UIDs whose handler raised, tried after the others
        self._lock = threading.Lock()  # one IMAP command at a time, even after a cancel

    def __repr__(self) -> str:  # never shows the password
        return f"ImapPoller({self.username}@{self.host}:{self.port}/{self.folder})"

    async def poll_once(self) -> int:
        """Handle every unseen message once; return how many were handled successfully.

        Raises ImapAuthError, ImapConnectionError or ImapError; a handler's exception is
        logged and leaves its message unseen without stopping the others.
        """
        conn = await self._call(self._connect)
        try:
            await self._call(self._login_and_select, conn)
            uids = await self._call(self._unseen, conn)
            self._failed &= set(uids)
            ordered = sorted(uids, key=lambda u: u in self._failed)  # new ones first
            handled = 0
            for uid in ordered[: self.max_messages]:
                raw = await self._call(self._fetch, conn, uid)
                if raw is None:  # expunged meanwhile
                    continue
                try:
                    await asyncio.wait_for(self._handle(raw), self.handle_timeout)
                except Exception:
                    self._failed.add(uid)
                    log.exception("imap: handler failed for UID %s of %r", uid, self)
                    continue
                self._failed.discard(uid)
                await self._call(self._mark_seen, conn, uid)
                handled += 1
            return handled
        finally:
            await asyncio.shield(self._call(self._logout, conn))

    async def run(
        self, interval_seconds: float, stop: asyncio.Event, *, max_backoff_seconds: float = 300.0
    ) -> None:
        """Poll every ``interval_seconds`` until ``stop`` is set.

        Failures never end the loop: the wait doubles after each failed poll, up to
        ``max_backoff_seconds``, and returns to the interval after a successful one.
        """
        failures = 0
        while not stop.is_set():
            delay = interval_seconds
            try:
                handled = await self.poll_once()
                failures = 0
                if handled:
                    log.info("imap: %d message(s) handled from %r", handled, self)
                if handled >= self.max_messages:
                    delay = 0  # more are waiting
            except ImapAuthError as exc:
                failures += 1
                log.error("imap: %s", exc)
            except (ImapError, OSError) as exc:
                failures += 1
                log.warning("imap: poll of %r failed (%d in a row): %s", self, failures, exc)
            except Exception:
                failures += 1
                log.exception("imap: unexpected error polling %r", self)
            if failures:
                delay = min(max_backoff_seconds, interval_seconds * 2 ** min(failures, 20))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=max(delay, 0))

    # --- blocking parts, run in worker threads -------------------------------------------

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        def locked() -> T:
            with self._lock:
                return fn(*args)

        try:
            return await asyncio.to_thread(locked)
        except imaplib.IMAP4.abort as exc:
            raise ImapConnectionError(f"connection to {self.host}:{self.port} lost: {exc}") from exc
        except OSError as exc:
            raise ImapConnectionError(f"cannot reach {self.host}:{self.port}: {exc}") from exc
        except imaplib.IMAP4.error as exc:
            raise ImapError(f"{self.host}:{self.port}: {exc}") from exc

    def _connect(self) -> imaplib.IMAP4:
        if self.ssl:
            context = self.ssl_context or ssl_module.create_default_context()
            return imaplib.IMAP4_SSL(
                self.host, self.port, ssl_context=context, timeout=self.timeout
            )
        conn = imaplib.IMAP4(self.host, self.port, timeout=self.timeout)
        if self.starttls:
            try:
                conn.starttls(self.ssl_context or ssl_module.create_default_context())
            except BaseException:
                conn.shutdown()
                raise
        return conn

    def _login_and_select(self, conn: imaplib.IMAP4) -> None:
        try:
            conn.login(self.username, self._password)
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error as exc:
            raise ImapAuthError(
                f"IMAP login refused for {self.username!r} at {self.host}:{self.port}: {_text(exc)}"
            ) from None  # the chained exception holds nothing more and no password
        typ, data = conn.select(_quote(self.folder))
        if typ != "OK":
            raise ImapError(f"cannot select folder {self.folder!r}: {_text(data)}")

    def _unseen(self, conn: imaplib.IMAP4) -> list[str]:
        typ, data = conn.uid("SEARCH", "UNSEEN")
        if typ != "OK":
            raise ImapError(f"UID SEARCH UNSEEN failed: {_text(data)}")
        found = b" ".join(d for d in data if isinstance(d, bytes)).split()
        return sorted({u.decode() for u in found if u.isdigit()}, key=int)

    def _fetch(self, conn: imaplib.IMAP4, uid: str) -> bytes | None:
        typ, data = conn.uid("FETCH", uid, "(BODY.PEEK[])")
        if typ != "OK":
            raise ImapError(f"UID FETCH {uid} failed: {_text(data)}")
        for item in data:  # [(b'1 (UID 7 BODY[] {123}', b'raw...'), b')'] plus stray FLAGS
            if isinstance(item, tuple) and b"BODY[]" in item[0].upper():
                return bytes(item[1])
        return None

    def _mark_seen(self, conn: imaplib.IMAP4, uid: str) -> None:
        typ, data = conn.uid("STORE", uid, "+FLAGS", "(\\Seen)")
        if typ != "OK":
            raise ImapError(f"UID STORE {uid} failed: {_text(data)}")

    def _logout(self, conn: imaplib.IMAP4) -> None:
        try:
            conn.logout()
        except Exception:  # the connection may already be gone; make sure the socket is
            with contextlib.suppress(Exception):
                conn.shutdown()


def _quote(folder: str) -> str:
    """A mailbox name as an IMAP string (imaplib sends arguments as they are)."""
    if re.fullmatch(r"[A-Za-z0-9_./-]+", folder):
        return folder
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(value: object) -> str:
    """Server text for an error message, from imaplib's bytes, lists or exceptions."""
    if isinstance(value, BaseException):
        value = value.args[0] if value.args else ""
    if isinstance(value, list):
        value = b" ".join(v for v in value if isinstance(v, bytes))
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value)
