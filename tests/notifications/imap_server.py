"""A small real IMAP4rev1 server (asyncio TCP on 127.0.0.1) with just what imaplib and the
poller use: greeting, CAPABILITY, NOOP, LOGIN, SELECT/EXAMINE, UID SEARCH, UID FETCH (BODY[],
BODY.PEEK[], FLAGS) with literals, UID STORE (+/-)FLAGS and LOGOUT. One mailbox, INBOX."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

CAPABILITIES = "IMAP4rev1 AUTH=PLAIN"


@dataclass
class Stored:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


def tokens(text: str) -> list[str]:
    """Atoms, quoted strings (unquoted) and parenthesised lists (kept whole)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == " ":
            i += 1
        elif text[i] == '"':
            buf, i = [], i + 1
            while i < len(text) and text[i] != '"':
                i += text[i] == "\\"
                buf.append(text[i])
                i += 1
            out.append("".join(buf))
            i += 1
        elif text[i] == "(":
            depth, j = 0, i
            while j < len(text):
                depth += {"(": 1, ")": -1}.get(text[j], 0)
                if depth == 0:
                    break
                j += 1
            out.append(text[i : j + 1])
            i = j + 1
        else:
            j = text.find(" ", i)
            j = len(text) if j < 0 else j
            out.append(text[i:j])
            i = j
    return out


class ImapServer:
    def __init__(self, users: dict[str, str]) -> None:
        self.users = users
        self.messages: list[Stored] = []
        self.commands: list[str] = []  # e.g. "LOGIN", "UID FETCH", "LOGOUT"
        self.port = 0
        self._next_uid = 1
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    def add(self, raw: bytes, *, seen: bool = False) -> int:
        uid, self._next_uid = self._next_uid, self._next_uid + 1
        self.messages.append(Stored(uid, raw, {"\\Seen"} if seen else set()))
        return uid

    def is_seen(self, uid: int) -> bool:
        return any(m.uid == uid and "\\Seen" in m.flags for m in self.messages)

    async def start(self, port: int = 0) -> None:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            await self._server.wait_closed()
            self._server = None

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        session: dict[str, object] = {"user": None, "selected": False}
        writer.write(b"* OK Ventanilla test IMAP4rev1 server ready\r\n")
        try:
            while line := await reader.readline():
                tag, _, rest = line.rstrip(b"\r\n").decode("utf-8", "replace").partition(" ")
                command, _, args = rest.partition(" ")
                command = command.upper()
                if command == "UID":
                    sub, _, args = args.partition(" ")
                    command = f"UID {sub.upper()}"
                self.commands.append(command)
                if not tag or not command:
                    writer.write(f"{tag or '*'} BAD empty command\r\n".encode())
                elif not self._dispatch(writer, session, tag, command, tokens(args)):
                    await writer.drain()
                    break
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    def _dispatch(
        self,
        w: asyncio.StreamWriter,
        session: dict[str, object],
        tag: str,
        command: str,
        args: list[str],
    ) -> bool:
        """Answer one command; False once the connection must close."""

        def ok(text: str) -> None:
            w.write(f"{tag} OK {text}\r\n".encode())

        if command == "CAPABILITY":
            w.write(f"* CAPABILITY {CAPABILITIES}\r\n".encode())
            ok("CAPABILITY completed")
        elif command == "NOOP":
            ok("NOOP completed")
        elif command == "LOGOUT":
            w.write(b"* BYE logging out\r\n")
            ok("LOGOUT completed")
            return False
        elif command == "LOGIN":
            if len(args) == 2 and self.users.get(args[0]) == args[1]:
                session["user"] = args[0]
                ok(f"[CAPABILITY {CAPABILITIES}] LOGIN completed")
            else:
                w.write(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials\r\n".encode())
        elif session["user"] is None:
            w.write(f"{tag} BAD {command} needs LOGIN first\r\n".encode())
        elif command in ("SELECT", "EXAMINE"):
            if not args or args[0].upper() != "INBOX":
                session["selected"] = False
                w.write(f"{tag} NO [NONEXISTENT] no such mailbox\r\n".encode())
                return True
            session["selected"] = True
            unseen = sum("\\Seen" not in m.flags for m in self.messages)
            w.write(
                b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
                b"* OK [PERMANENTFLAGS (\\Seen \\Deleted)] Limited\r\n"
                + f"* {len(self.messages)} EXISTS\r\n* 0 RECENT\r\n".encode()
                + f"* OK [UIDVALIDITY 1] UIDs valid\r\n* OK [UIDNEXT {self._next_uid}]\r\n".encode()
                + f"* OK {unseen} unseen\r\n".encode()
            )
            ok(f"[{'READ-ONLY' if command == 'EXAMINE' else 'READ-WRITE'}] {command} completed")
        elif not session["selected"]:
            w.write(f"{tag} BAD no mailbox selected\r\n".encode())
        elif command == "UID SEARCH":
            wanted = " ".join(args).upper()
            found = [
                str(m.uid)
                for m in self.messages
                if wanted == "ALL"
                or (wanted == "UNSEEN" and "\\Seen" not in m.flags)
                or (wanted == "SEEN" and "\\Seen" in m.flags)
            ]
            w.write(("* SEARCH" + "".join(f" {u}" for u in found) + "\r\n").encode())
            ok("SEARCH completed")
        elif command == "UID FETCH" and len(args) == 2:
            items = args[1].upper()
            for seq, m in self._matching(args[0]):
                parts = [f"UID {m.uid}"]
                if "BODY[]" in items and "PEEK" not in items:
                    m.flags.add("\\Seen")
                if "FLAGS" in items:
                    parts.append(f"FLAGS ({' '.join(sorted(m.flags))})")
                head = f"* {seq} FETCH ({' '.join(parts)}"
                if "BODY" in items:
                    w.write(f"{head} BODY[] {{{len(m.raw)}}}\r\n".encode() + m.raw + b")\r\n")
                else:
                    w.write(f"{head})\r\n".encode())
            ok("FETCH completed")
        elif command == "UID STORE" and len(args) == 3:
            flags = set(args[2].strip("()").split())
            mode = args[1].upper()
            for seq, m in self._matching(args[0]):
                if mode.startswith("+"):
                    m.flags |= flags
                elif mode.startswith("-"):
                    m.flags -= flags
                else:
                    m.flags = set(flags)
                if not mode.endswith(".SILENT"):
                    flag_list = " ".join(sorted(m.flags))
                    w.write(f"* {seq} FETCH (UID {m.uid} FLAGS ({flag_list}))\r\n".encode())
            ok("STORE completed")
        else:
            w.write(f"{tag} BAD unknown or malformed command {command}\r\n".encode())
        return True

    def _matching(self, uid_set: str) -> list[tuple[int, Stored]]:
        """(sequence number, message) for a UID set such as ``7``, ``1:3``, ``2,5:*``."""
        top = self._next_uid - 1
        wanted: set[int] = set()
        for piece in uid_set.split(","):
            low, _, high = piece.partition(":")
            a = top if low == "*" else int(low)
            b = a if not high else top if high == "*" else int(high)
            wanted |= set(range(min(a, b), max(a, b) + 1))
        return [(seq, m) for seq, m in enumerate(self.messages, 1) if m.uid in wanted]
