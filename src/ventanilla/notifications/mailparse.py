"""Reading a citizen's email reply: who wrote, to which thread, and only what is new.

Pure (bytes in, values out). Mail programs quote the whole history under the reply, so the
text is cut at the first attribution line ("El lun, 3 nov 2026 ... escribió:"), Outlook header
block, signature or our own reply marker: cutting too much beats re-posting the agent's words
as the citizen's. Attachments are only listed, never written anywhere nor interpreted.
"""

from __future__ import annotations

import codecs
import email
import email.policy
import mimetypes
import re
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

REPLY_MARKER = "## Escriba su respuesta arriba de esta línea ##"
MAX_TEXT_CHARS = 4000
TRUNCATION = " […]"
MAX_ATTACHMENTS, MAX_SCANNED_CHARS, _MAX_DEPTH = 100, 200_000, 20  # bounds on hostile mail


class MailParseError(Exception):
    """A mail that cannot become a citizen message; ``code`` is stable for programs."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class ParsedMail:
    from_addr: str
    from_name: str
    to_addrs: list[str]
    subject: str
    message_id: str
    in_reply_to: list[str]
    references: list[str]
    text: str
    attachments: list[Attachment]
    auto_submitted: bool


def parse_mail(raw: bytes, *, max_bytes: int = 10 * 1024 * 1024) -> ParsedMail:
    if len(raw) > max_bytes:
        raise MailParseError("mail_too_large")
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        from_name, from_addr = _sender(msg)
        body: Message | None = msg.get_body(preferencelist=("plain", "html"))
    except Exception as exc:  # the email package can raise almost anything on garbage
        raise MailParseError("mail_unreadable") from exc
    if not from_addr:
        raise MailParseError("mail_unreadable")
    text = _truncate(strip_reply(_part_text(body))) if body is not None else ""
    attachments = list(_attachments(msg, body))
    if not text and not attachments:
        raise MailParseError("mail_empty")
    subject = " ".join(_header_text(msg, "Subject").split())
    recipients = [_address_pairs(msg, h) for h in ("To", "Cc", "Delivered-To", "X-Original-To")]
    to_addrs = list(dict.fromkeys(a.lower() for pairs in recipients for _, a in pairs if _valid(a)))
    return ParsedMail(
        from_addr=from_addr,
        from_name=from_name,
        to_addrs=to_addrs,
        subject=subject,
        message_id=next(iter(_ids(msg, "Message-ID")), ""),
        in_reply_to=_ids(msg, "In-Reply-To"),
        references=_ids(msg, "References"),
        text=text,
        attachments=attachments,
        auto_submitted=_is_automatic(msg, from_addr, subject),
    )


def reply_token(address: str, local_prefix: str = "respuesta") -> str | None:
    """The token of a plus-address: ``respuesta+TOKEN@dominio`` -> ``TOKEN``, else None."""
    addr = parseaddr(address)[1] or address.strip()
    local, at, _domain = addr.rpartition("@")
    prefix, plus, token = local.partition("+")
    if not at or not plus or prefix.lower() != local_prefix.lower():
        return None
    return token if re.fullmatch(r"[A-Za-z0-9._=-]{1,200}", token) else None


def _raw_values(msg: Message, name: str) -> list[str]:
    return [re.sub(r"\r?\n", "", str(v)) for k, v in msg.raw_items() if k.lower() == name.lower()]


def _decode_words(value: str) -> str:
    try:
        return str(make_header(decode_header(value)))
    except Exception:
        return value


def _header_text(msg: Message, name: str) -> str:
    try:
        return str(msg.get(name) or "")
    except Exception:
        return " ".join(_decode_words(v) for v in _raw_values(msg, name))


def _address_pairs(msg: Message, name: str) -> list[tuple[str, str]]:
    with suppress(Exception):  # else the lenient parser below
        pairs = []
        for header in msg.get_all(name) or []:
            pairs += [(a.display_name, a.addr_spec) for a in getattr(header, "addresses", ())]
        if pairs:
            return pairs
    return [(_decode_words(n), a) for n, a in getaddresses(_raw_values(msg, name))]


def _valid(addr: str) -> bool:
    local, at, domain = addr.rpartition("@")
    return bool(at and local and "." in domain and not re.search(r"[\s<>]", addr))


def _sender(msg: Message) -> tuple[str, str]:
    for name, addr in _address_pairs(msg, "From"):
        if _valid(addr):
            return " ".join(name.split()), addr.lower()
    return "", ""


def _ids(msg: Message, name: str) -> list[str]:
    text = " ".join(_raw_values(msg, name))
    return list(dict.fromkeys(re.findall(r"<([^<>\s]+)>", text) or text.split()))


_AUTO_SUBJECT = re.compile(
    r"^\s*(respuesta autom[áa]tica|automatic reply|auto[- ]?reply|fuera de la oficina"
    r"|out of (the )?office|undeliverable|no se puede entregar|delivery status notification)",
    re.I,
)


def _is_automatic(msg: Message, from_addr: str, subject: str) -> bool:
    """Out-of-office replies, bounces and list mail (RFC 3834 and the usual vendor headers)."""
    auto = _header_text(msg, "Auto-Submitted").split(";")[0].strip().lower()
    precedence = _header_text(msg, "Precedence").strip().lower()
    x_auto = [msg.get(h) for h in ("X-Autoreply", "X-Autorespond")]
    return (
        auto not in ("", "no")
        or precedence in ("bulk", "junk", "list", "auto_reply")
        or any(v is not None and str(v).strip().lower() not in ("no", "false") for v in x_auto)
        or msg.get_content_type() == "multipart/report"
        or any(p.get_content_type() == "message/delivery-status" for p in _leaves(msg))
        or bool(msg.get("X-Failed-Recipients"))
        or "".join(_raw_values(msg, "Return-Path")).strip() == "<>"
        or from_addr.partition("@")[0] in ("mailer-daemon", "postmaster")
        or bool(_AUTO_SUBJECT.match(subject))
    )


def _leaves(part: Message, depth: int = 0) -> Iterator[Message]:
    """Non-multipart parts; a forwarded message/rfc822 is one leaf, not descended into."""
    payload = part.get_payload()
    if part.get_content_maintype() != "multipart" or not isinstance(payload, list):
        yield part
    elif depth < _MAX_DEPTH:
        for sub in payload:
            if isinstance(sub, Message):
                yield from _leaves(sub, depth + 1)


def _attachments(msg: Message, body: Message | None) -> Iterator[Attachment]:
    count = 0
    for part in _leaves(msg):
        if part is body or count >= MAX_ATTACHMENTS:
            continue
        ctype = part.get_content_type()
        filename = _filename(part)
        disposition = part.get_content_disposition()
        if not filename and disposition != "attachment" and ctype in ("text/plain", "text/html"):
            continue  # the other alternative of the body, or a bodiless text part
        count += 1
        default = "adjunto" + (mimetypes.guess_extension(ctype) or ".bin")
        yield Attachment(filename or default, ctype, _size(part))


def _filename(part: Message) -> str:
    name = ""
    with suppress(Exception):
        name = _decode_words(part.get_filename() or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    return re.sub(r"[\x00-\x1f\x7f]", "", name).strip()[:255]


def _size(part: Message) -> int:
    with suppress(Exception):
        payload = part.get_payload(decode=True)
        return len(payload) if isinstance(payload, bytes) else len(part.as_bytes())
    return 0


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Text whatever the declared charset says: Latin-1, ASCII and unknown declarations are
    often lies, so they are tried as UTF-8 first, then windows-1252 with replacement."""
    try:
        codec = codecs.lookup(charset or "").name
    except LookupError:
        codec = ""
    for candidate in (codec, "utf-8"):
        if candidate and candidate not in ("ascii", "iso8859-1"):
            with suppress(UnicodeDecodeError, LookupError):
                return data.decode(candidate)
    return data.decode("cp1252", errors="replace")


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    text = decode_bytes(payload, part.get_content_charset()).replace("\r\n", "\n")
    text = text.replace("\r", "\n")
    if part.get_content_subtype() == "html":
        return html_to_text(text[: 5 * MAX_SCANNED_CHARS])  # the parser is slow on huge markup
    if str(part.get_param("format") or "").lower() == "flowed":
        text = _unflow(text, str(part.get_param("delsp") or "").lower() == "yes")
    return text


def _unflow(text: str, delsp: bool) -> str:
    """Join format=flowed soft line breaks (RFC 3676), only within one quote depth."""
    out: list[str] = []
    soft_before, depth_before = False, -1
    for line in text.split("\n"):
        content = line.lstrip(">")
        depth = len(line) - len(content)
        content = content.removeprefix(" ")
        soft = content.endswith(" ") and content != "-- "
        if soft and delsp:
            content = content[:-1]
        if soft_before and depth == depth_before and out:
            out[-1] += content
        else:
            out.append(">" * depth + (" " if depth else "") + content)
        soft_before, depth_before = soft, depth
    return "\n".join(out)


_BLOCK = {"p", "div", "tr", "li", "ul", "ol", "table", "pre", "h1", "h2", "h3", "h4", "h5", "h6"}
_VOID = {"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "wbr", "source"}
_DROPPED = {"script", "style", "head", "title", "template", "noscript", "blockquote", "object"}
# Classes / ids whose whole element is quoted history or a signature.
_DROPPED_CLASSES = ("gmail_quote", "gmail_signature", "yahoo_quoted", "moz-signature")
_DROPPED_IDS = ("ms-outlook-mobile-signature", "signature")
# Elements after which everything is the quoted message (Outlook web, desktop and mobile).
_STOP_IDS = ("appendonsend", "divrplyfwdmsg", "mail-editor-reference-message-container")


class _HtmlText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_tag, self.skip_depth, self.stopped, self.pre = "", 0, False, 0
        self.newlines = 2  # at the end of the output; block boundaries do not add up

    def _break(self, count: int) -> None:
        if count > self.newlines:
            self.parts.append("\n" * (count - self.newlines))
            self.newlines = count

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skip_tag == "head" and tag == "body":
            self.skip_tag = ""  # a <head> without </head>
        if self.stopped or self.skip_tag:
            self.skip_depth += tag == self.skip_tag
            return
        attr = {k: v or "" for k, v in attrs}
        ident = attr.get("id", "").lower().removeprefix("x_")
        classes = attr.get("class", "").lower().split()
        style = attr.get("style", "").replace(" ", "").lower()
        dropped = ident in _DROPPED_IDS or any(c.startswith(_DROPPED_CLASSES) for c in classes)
        if ident in _STOP_IDS or (tag == "div" and "border-top:solid" in style):
            self.stopped = True
        elif (tag in _DROPPED or dropped) and tag not in _VOID:
            self.skip_tag, self.skip_depth = tag, 1
        elif tag == "br":
            self.parts.append("\n")
            self.newlines += 1
        elif tag == "hr":
            self.parts.append("\n" + "_" * 32 + "\n")
            self.newlines = 1
        elif tag in _BLOCK:
            self.pre += tag == "pre"
            self._break(2 if tag in ("p", "h1", "h2", "h3") else 1)
            self.parts.append("- " if tag == "li" else "")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if self.skip_tag:
            self.skip_depth -= tag == self.skip_tag
            self.skip_tag = self.skip_tag if self.skip_depth > 0 else ""
        elif not self.stopped and tag in _BLOCK:
            self.pre = max(0, self.pre - (tag == "pre"))
            self._break(2 if tag in ("p", "h1", "h2", "h3") else 1)

    def handle_data(self, data: str) -> None:
        if not (self.stopped or self.skip_tag):
            text = data if self.pre else re.sub(r"\s+", " ", data)
            self.newlines = self.newlines if not text.strip() else 0
            self.parts.append(text)


def html_to_text(markup: str) -> str:
    """Visible text of an HTML email, without scripts, styles or quoted history."""
    parser = _HtmlText()
    with suppress(Exception):  # keep what was read before the parser gave up
        parser.feed(markup)
        parser.close()
    return "\n".join(line.strip() for line in "".join(parser.parts).split("\n"))


_ATTRIBUTION = re.compile(r"^(?:(?:El|En)\s.*\d.*escribi[óo]|On\s.*\d.*wrote)\s*:$", re.I)
_ATTRIBUTION_START = re.compile(r"^(?:El|En|On)\s.*\d", re.I)
_ORIGINAL = re.compile(r"^-{2,}\s*(?:mensaje original|original message)\s*-{2,}$", re.I)
_RULE = re.compile(r"^_{10,}$")
_HEADER_FROM = re.compile(r"^\*?(?:de|from)\s*:", re.I)
_HEADER_SENT = re.compile(r"^\*?(?:enviado(?: el)?|sent|fecha|date)\s*:", re.I)
_HEADER_OTHER = re.compile(r"^\*?(?:para|to|asunto|subject|cc)\s*:", re.I)
_MOBILE = re.compile(
    r"^(?:(?:enviado|sent)\s+(?:desde|from|con|with)\s+(?:(?:mi|my|el|the)\s+)?"
    r"(?:iphone|ipad|android|samsung|galaxy|huawei|xiaomi|motorola|celular|m[óo]vil|tel[ée]fono"
    r"|phone|smartphone|tablet|dispositivo|mobile|outlook|yahoo|correo|mail|gmail)\b.{0,40}"
    r"|(?:obtener|get|descargar|download)\s+outlook\s+(?:para|for)\s+(?:android|ios))$",
    re.I,
)


def _clean_lines(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    text = re.sub(r"[\u200b-\u200d\u2060\ufeff\x00-\x08\x0e-\x1f\x7f]", "", text)
    text = re.sub(r"[^\S\n]", " ", text)
    return [line.rstrip() for line in text.split("\n")]


def _next_nonempty(lines: list[str], start: int, count: int) -> list[str]:
    return [s for s in (line.strip() for line in lines[start : start + 40]) if s][:count]


def _cuts_here(lines: list[str], i: int) -> bool:
    """Whether line ``i`` starts the quoted history, a signature or our own footer."""
    line = lines[i].strip()
    if REPLY_MARKER in line:
        return True
    if len(line) > 300:  # attributions are short; this also bounds the regexes' work
        return False
    if line == "--" or _ORIGINAL.match(line) or _MOBILE.match(line) or _ATTRIBUTION.match(line):
        return True
    if _ATTRIBUTION_START.match(line) and i + 1 < len(lines):
        following = lines[i + 1].strip()  # Gmail wraps long attributions over two lines
        if not _ATTRIBUTION.match(following) and _ATTRIBUTION.match(f"{line} {following}"):
            return True
    if _RULE.match(line):
        after = _next_nonempty(lines, i + 1, 1)
        return not after or bool(_HEADER_FROM.match(after[0]))
    if _HEADER_FROM.match(line):
        after = _next_nonempty(lines, i + 1, 5)  # Outlook: De, Enviado, Para, CC, Asunto
        return bool(after and _HEADER_SENT.match(after[0])) and any(map(_HEADER_OTHER.match, after))
    return False


def strip_reply(text: str) -> str:
    """The new part of a reply: cut at the first quote start, drop ``>`` lines, tidy blanks."""
    lines = _clean_lines(text[:MAX_SCANNED_CHARS])
    kept: list[str] = []
    for i, line in enumerate(lines):
        if _cuts_here(lines, i):
            break
        if line.lstrip().startswith(">"):
            continue
        if line.strip() or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept).strip()


def _truncate(text: str) -> str:
    if len(text) <= MAX_TEXT_CHARS:
        return text
    return text[: MAX_TEXT_CHARS - len(TRUNCATION)].rstrip() + TRUNCATION
