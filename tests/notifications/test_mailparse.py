"""Citizens' replies as their mail programs really send them (raw bytes, CRLF)."""

from __future__ import annotations

import base64
import builtins
import mimetypes
import os

import pytest

from ventanilla.notifications.mailparse import (
    MAX_TEXT_CHARS,
    REPLY_MARKER,
    Attachment,
    MailParseError,
    ParsedMail,
    html_to_text,
    parse_mail,
    reply_token,
    strip_reply,
)

INBOUND = "respuesta+c_AbC123.9f8e7d@correo.entidad.gov.co"


def mail(text: str, encoding: str = "ascii") -> bytes:
    """Raw message bytes: CRLF line ends, body bytes in ``encoding`` (8bit bodies)."""
    return text.replace("\n", "\r\n").encode(encoding)


def headers(
    content_type: str = 'text/plain; charset="UTF-8"',
    cte: str = "7bit",
    subject: str = "Re: Solicitud de =?utf-8?q?informaci=C3=B3n?=",
    extra: str = "",
) -> str:
    return (
        "Return-Path: <ciudadano@example.com>\n"
        f"Delivered-To: {INBOUND}\n"
        "From: Juan Perez <Ciudadano@Example.com>\n"
        f"To: Canal Capital <{INBOUND}>\n"
        "Date: Mon, 3 Nov 2026 13:14:52 -0500\n"
        "Message-ID: <reply-1@example.com>\n"
        "In-Reply-To: <0f3a9c1e@correo.entidad.gov.co>\n"
        f"Subject: {subject}\n"
        "MIME-Version: 1.0\n"
        f"{extra}"
        f"Content-Type: {content_type}\n"
        f"Content-Transfer-Encoding: {cte}\n\n"
    )


def plain(body: str, encoding: str = "utf-8", **kw: str) -> bytes:
    charset = {"utf-8": "UTF-8"}.get(encoding, encoding)
    h = headers(content_type=f'text/plain; charset="{charset}"', cte="8bit", **kw)
    return mail(h + body, encoding)


GMAIL_ES = mail("""\
Delivered-To: respuesta+c_AbC123.9f8e7d@correo.entidad.gov.co
Received: by 2002:a05:7000:1234 with SMTP id abc; Mon, 3 Nov 2026 10:15:01 -0800 (PST)
MIME-Version: 1.0
References: <conversation.c_AbC123@correo.entidad.gov.co>
 <0f3a9c1e2b4d4e5f8a6b7c8d9e0f1a2b@correo.entidad.gov.co>
In-Reply-To: <0f3a9c1e2b4d4e5f8a6b7c8d9e0f1a2b@correo.entidad.gov.co>
From: =?UTF-8?Q?Mar=C3=ADa_Fernanda_P=C3=A9rez?= <MariaF.Perez@Gmail.com>
Date: Mon, 3 Nov 2026 13:14:52 -0500
Message-ID: <CAF3x+9kZ_p2QmL=Ty7uA@mail.gmail.com>
Subject: =?UTF-8?Q?Re=3A_Solicitud_de_informaci=C3=B3n_=E2=80=94_Canal_Capital?=
To: Canal Capital <respuesta+c_AbC123.9f8e7d@correo.entidad.gov.co>
Cc: Hermano <Hermano@Example.com>
Content-Type: multipart/alternative; boundary="000000000000a1b2c3d4e5f60718"

--000000000000a1b2c3d4e5f60718
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

Buenos d=C3=ADas,

Adjunto el n=C3=BAmero de radicado: 2026-ER-001234. =C2=BFCu=C3=A1ndo me da=
n respuesta?

Gracias,
Mar=C3=ADa

El lun, 3 nov 2026 a las 10:02, Canal Capital (<
respuesta+c_AbC123.9f8e7d@correo.entidad.gov.co>) escribi=C3=B3:

> ## Escriba su respuesta arriba de esta l=C3=ADnea ##
>
> Hola Mar=C3=ADa, su solicitud fue recibida.
>

--000000000000a1b2c3d4e5f60718
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

<div dir=3D"ltr">Buenos d=C3=ADas,<div><br></div><div>Adjunto el n=C3=BAmero=
 de radicado: 2026-ER-001234. =C2=BFCu=C3=A1ndo me dan respuesta?</div><div>=
<br></div><div>Gracias,</div><div>Mar=C3=ADa</div></div><br><div class=3D"gm=
ail_quote gmail_quote_container"><div dir=3D"ltr" class=3D"gmail_attr">El lu=
n, 3 nov 2026 a las 10:02, Canal Capital (&lt;<a href=3D"mailto:respuesta+c_=
AbC123.9f8e7d@correo.entidad.gov.co">respuesta+c_AbC123.9f8e7d@correo.entida=
d.gov.co</a>&gt;) escribi=C3=B3:<br></div><blockquote class=3D"gmail_quote" =
style=3D"margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);pad=
ding-left:1ex"><div>## Escriba su respuesta arriba de esta l=C3=ADnea ##</div=
><div>Hola Mar=C3=ADa, su solicitud fue recibida.</div></blockquote></div>

--000000000000a1b2c3d4e5f60718--
""")

GMAIL_ES_TEXT = (
    "Buenos días,\n\nAdjunto el número de radicado: 2026-ER-001234. ¿Cuándo me dan respuesta?"
    "\n\nGracias,\nMaría"
)


def test_gmail_es_multipart_headers_and_text() -> None:
    parsed = parse_mail(GMAIL_ES)
    assert isinstance(parsed, ParsedMail)
    assert parsed.from_addr == "mariaf.perez@gmail.com"
    assert parsed.from_name == "María Fernanda Pérez"
    assert parsed.to_addrs == [INBOUND.lower(), "hermano@example.com"]
    assert parsed.subject == "Re: Solicitud de información — Canal Capital"
    assert parsed.message_id == "CAF3x+9kZ_p2QmL=Ty7uA@mail.gmail.com"
    assert parsed.in_reply_to == ["0f3a9c1e2b4d4e5f8a6b7c8d9e0f1a2b@correo.entidad.gov.co"]
    assert parsed.references == [
        "conversation.c_AbC123@correo.entidad.gov.co",
        "0f3a9c1e2b4d4e5f8a6b7c8d9e0f1a2b@correo.entidad.gov.co",
    ]
    assert parsed.text == GMAIL_ES_TEXT
    assert parsed.attachments == []
    assert parsed.auto_submitted is False


def test_gmail_html_only_drops_gmail_quote() -> None:
    html_part = GMAIL_ES.split(b"Content-Type: text/html")[1].split(b"--0000000000")[0]
    raw = (
        mail(headers(content_type='text/html; charset="UTF-8"', cte="quoted-printable"))
        + html_part.split(b"\r\n\r\n", 1)[1]
    )
    assert parse_mail(raw).text == GMAIL_ES_TEXT


def test_gmail_en_attribution_one_line() -> None:
    raw = plain(
        "Thanks, I will bring the documents on Friday.\n\n"
        "On Mon, Nov 3, 2026 at 10:02 AM Canal Capital <respuesta+c_1.a@e.gov.co> wrote:\n\n"
        "> Please bring your ID.\n"
    )
    assert parse_mail(raw).text == "Thanks, I will bring the documents on Friday."


OUTLOOK_WEB_HTML = mail(
    headers(content_type='text/html; charset="windows-1252"', cte="quoted-printable")
    + """\
<html><head>
<meta http-equiv=3D"Content-Type" content=3D"text/html; charset=3Dwindows-1252">
<style type=3D"text/css" style=3D"display:none;"> P {margin-top:0;margin-bottom:0;} </sty=
le><script>alert("x")</script>
</head>
<body dir=3D"ltr">
<div style=3D"font-family: Calibri, Arial, Helvetica, sans-serif; font-size: 12pt;">
Se=F1ores Canal Capital:<br>
<br>
Mi peti&ccedil;&atilde;o &amp; queja: el cami=F3n de la basura no pasa por la calle 45 &lt;sur&g=
t;.</div>
<p>Cordialmente,</p><p>Jos=E9 Mu=F1oz</p>
<div id=3D"appendonsend"></div>
<hr style=3D"display:inline-block;width:98%" tabindex=3D"-1">
<div id=3D"divRplyFwdMsg" dir=3D"ltr"><font face=3D"Calibri, sans-serif" style=3D"font-size:=
11pt" color=3D"#000000"><b>De:</b> Canal Capital &lt;respuesta+c_1.a@e.gov.co&gt;<br>
<b>Enviado:</b> lunes, 3 de noviembre de 2026 10:02<br>
<b>Para:</b> Jos=E9 Mu=F1oz &lt;ciudadano@example.com&gt;<br>
<b>Asunto:</b> Solicitud de informaci=F3n</font>
<div>&nbsp;</div></div>
<div><p>## Escriba su respuesta arriba de esta l=EDnea ##</p><p>Su solicitud fue recibida.</p>
</div>
</body></html>
"""
)


def test_outlook_web_html_only_windows_1252() -> None:
    parsed = parse_mail(OUTLOOK_WEB_HTML)
    assert parsed.text == (
        "Señores Canal Capital:\n\n"
        "Mi petição & queja: el camión de la basura no pasa por la calle 45 <sur>.\n\n"
        "Cordialmente,\n\nJosé Muñoz"
    )
    assert "alert" not in parsed.text and "margin" not in parsed.text


OUTLOOK_DESKTOP = mail(
    headers(
        content_type='multipart/alternative; boundary="_000_MN2PR_"',
        cte="7bit",
        extra="Thread-Topic: Solicitud\nX-MS-Has-Attach: \n",
    )
    + """\
--_000_MN2PR_
Content-Type: text/plain; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

Buenas tardes, ya envi=E9 el formulario diligenciado.

Atentamente,
Luc=EDa Ram=EDrez
Secretar=EDa de Hacienda - Alcald=EDa de Ch=EDa

________________________________
De: Canal Capital <respuesta+c_1.a@e.gov.co>
Enviado: lunes, 3 de noviembre de 2026 10:02
Para: Luc=EDa Ram=EDrez <ciudadano@example.com>
Asunto: Solicitud de informaci=F3n

## Escriba su respuesta arriba de esta l=EDnea ##
Por favor diligencie el formulario.

--_000_MN2PR_
Content-Type: text/html; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

<html xmlns:o=3D"urn:schemas-microsoft-com:office:office"><head>
<style><!-- p.MsoNormal {margin:0cm;} --></style></head>
<body lang=3D"ES-CO"><div class=3D"WordSection1">
<p class=3D"MsoNormal">Buenas tardes, ya envi=E9 el formulario diligenciado.<o:p></o:p></p>
<p class=3D"MsoNormal"><o:p>&nbsp;</o:p></p>
<p class=3D"MsoNormal">Atentamente,<o:p></o:p></p>
<p class=3D"MsoNormal">Luc=EDa Ram=EDrez<br>Secretar=EDa de Hacienda - Alcald=EDa de Ch=EDa</p>
<div><div style=3D"border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">
<p class=3D"MsoNormal"><b>De:</b> Canal Capital &lt;respuesta+c_1.a@e.gov.co&gt;<br>
<b>Enviado:</b> lunes, 3 de noviembre de 2026 10:02</p></div></div>
<p class=3D"MsoNormal">Por favor diligencie el formulario.</p>
</div></body></html>

--_000_MN2PR_--
"""
)

OUTLOOK_TEXT = (
    "Buenas tardes, ya envié el formulario diligenciado.\n\nAtentamente,\nLucía Ramírez\n"
    "Secretaría de Hacienda - Alcaldía de Chía"
)


def test_outlook_desktop_multipart_prefers_plain() -> None:
    assert parse_mail(OUTLOOK_DESKTOP).text == OUTLOOK_TEXT


def test_outlook_desktop_html_border_top_block() -> None:
    html_part = OUTLOOK_DESKTOP.split(b"--_000_MN2PR_\r\n")[2].split(b"\r\n\r\n", 1)[1]
    html_part = html_part.split(b"--_000_MN2PR_--")[0]
    raw = (
        mail(headers(content_type='text/html; charset="iso-8859-1"', cte="quoted-printable"))
        + html_part
    )
    assert parse_mail(raw).text == OUTLOOK_TEXT.replace("Atentamente,\n", "Atentamente,\n\n")


@pytest.mark.parametrize(
    "history",
    [
        "-----Mensaje original-----\nDe: Canal Capital [mailto:x@e.gov.co]\nEnviado el: lunes",
        "-----Original Message-----\nFrom: Canal Capital <x@e.gov.co>\nSent: Monday",
        "De: Canal Capital <x@e.gov.co>\nFecha: lunes, 3 de noviembre\nPara: Juan\nAsunto: Re",
        "From: Canal Capital <x@e.gov.co>\nSent: Monday, November 3, 2026\nTo: Juan\nSubject: Re",
        "De: Canal Capital <x@e.gov.co>\nEnviado el: lunes, 3 de noviembre\nPara: Juan\nCC: Ana",
    ],
)
def test_outlook_plain_headers_blocks(history: str) -> None:
    raw = plain(f"Listo, muchas gracias.\n\n{history}\n\nSu solicitud fue recibida.\n")
    assert parse_mail(raw).text == "Listo, muchas gracias."


APPLE_MAIL = mail(
    headers(
        content_type='text/plain; charset="utf-8"; format=flowed; delsp=no',
        cte="quoted-printable",
        extra="X-Mailer: iPhone Mail (21G93)\n",
    )
    + """\
Hola, les escribo porque el recibo del predial lleg=C3=B3 con un valor que =
no corresponde =
al =C3=A1rea del lote. =C2=BFPueden revisarlo?

Enviado desde mi iPhone

> El 3/11/2026, a las 10:02, Canal Capital <respuesta+c_1.a@e.gov.co> escri=
bi=C3=B3:
>
> =EF=BB=BF## Escriba su respuesta arriba de esta l=C3=ADnea ##
"""
)


def test_apple_mail_flowed_and_iphone_signature() -> None:
    assert parse_mail(APPLE_MAIL).text == (
        "Hola, les escribo porque el recibo del predial llegó con un valor que no corresponde "
        "al área del lote. ¿Pueden revisarlo?"
    )


def test_apple_mail_attribution_unquoted() -> None:
    raw = plain(
        "Perfecto.\n\nEl 3/11/2026, a las 10:02, Canal Capital <x@e.gov.co> escribió:\n\nHola\n"
    )
    assert parse_mail(raw).text == "Perfecto."


def test_yahoo_attribution() -> None:
    raw = plain(
        "Muchas gracias por la atención.\n\n\n"
        "En lunes, 3 de noviembre de 2026, 10:02:15 a. m. GMT-5, Canal Capital "
        "<respuesta+c_1.a@e.gov.co> escribió:\n\n\n"
        "## Escriba su respuesta arriba de esta línea ##\n"
    )
    assert parse_mail(raw).text == "Muchas gracias por la atención."


@pytest.mark.parametrize(
    "signature",
    [
        "Enviado desde mi iPhone",
        "Enviado desde mi Android",
        "Enviado desde mi Samsung Galaxy",
        "Sent from my iPhone",
        "Obtener Outlook para Android",
        "Enviado desde Outlook para iOS",
        "Get Outlook for iOS",
        "-- ",
    ],
)
def test_signatures_cut(signature: str) -> None:
    raw = plain(f"Ya pagué la factura.\n\n{signature}\nAna Gómez\nCC 1.020.304.050\n")
    assert parse_mail(raw).text == "Ya pagué la factura."


def test_own_marker_and_everything_below_is_dropped() -> None:
    raw = plain(f"Sí, autorizo el tratamiento de datos.\n\n{REPLY_MARKER}\nHola Juan, ...\n")
    assert parse_mail(raw).text == "Sí, autorizo el tratamiento de datos."


def test_inline_quotes_dropped_and_citizen_lines_kept() -> None:
    raw = plain("> ¿Cuál es su dirección?\nCalle 45 # 12-30\n> ¿Barrio?\nChapinero\n")
    assert parse_mail(raw).text == "Calle 45 # 12-30\nChapinero"


def test_formal_letter_headings_are_kept() -> None:
    body = (
        "De: Juan Pérez\nPara: Secretaría de Movilidad\nAsunto: Derecho de petición\n\nSolicito..."
    )
    assert parse_mail(plain(body)).text == body


def test_ordinary_sentences_are_not_mistaken_for_quotes() -> None:
    body = (
        "El martes escribí al correo de la entidad.\nOn time, as promised.\nDe: mi parte, gracias."
    )
    assert parse_mail(plain(body)).text == body


@pytest.mark.parametrize("encoding", ["iso-8859-1", "windows-1252"])
def test_8bit_single_byte_charsets(encoding: str) -> None:
    raw = plain("La niña pagó el año pasado; ¿está al día?", encoding)
    assert parse_mail(raw).text == "La niña pagó el año pasado; ¿está al día?"


def test_windows_1252_specials_even_when_declared_latin1() -> None:
    raw = plain("“Comillas” – 50 € ñandú", "windows-1252").replace(
        b'charset="windows-1252"', b'charset="iso-8859-1"'
    )
    assert parse_mail(raw).text == "“Comillas” – 50 € ñandú"


@pytest.mark.parametrize("declared", ["utf-8", "x-desconocido", "us-ascii"])
def test_broken_charset_declarations(declared: str) -> None:
    raw = plain("Petición de información año 2026", "iso-8859-1").replace(
        b'charset="iso-8859-1"', f'charset="{declared}"'.encode()
    )
    assert parse_mail(raw).text == "Petición de información año 2026"


def test_invalid_bytes_are_replaced_not_fatal() -> None:
    raw = plain("ok", "utf-8").replace(b"ok", b"hola \x81\x8d fin")
    assert parse_mail(raw).text.startswith("hola ")


def test_base64_body_and_encoded_word_subjects() -> None:
    body = base64.encodebytes("Señor funcionario: adjunto la cédula.\n".encode()).decode()
    raw = mail(
        headers(
            cte="base64",
            subject="=?iso-8859-1?Q?Re:_Petici=F3n?= =?utf-8?B?IOKAlCBhw7Fv?=",
        )
        + body
    )
    parsed = parse_mail(raw)
    assert parsed.text == "Señor funcionario: adjunto la cédula."
    assert parsed.subject == "Re: Petición — año"


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
JPG = b"\xff\xd8\xff\xe0 fake jpeg"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")


def b64(data: bytes) -> str:
    return base64.encodebytes(data).decode()


WITH_ATTACHMENTS = mail(
    headers(content_type='multipart/mixed; boundary="mix"', cte="7bit")
    + f"""\
This is a multi-part message in MIME format.

--mix
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit

Adjunto la cédula escaneada y la foto del daño.

--alt
Content-Type: text/html; charset="utf-8"
Content-Transfer-Encoding: 8bit

<p>Adjunto la cédula escaneada y la foto del daño.</p><img src="cid:foto1">

--alt--

--rel
Content-Type: image/png
Content-Transfer-Encoding: base64
Content-ID: <foto1>
Content-Disposition: inline

{b64(PNG)}
--rel--

--mix
Content-Type: application/pdf; name="=?utf-8?Q?c=C3=A9dula.pdf?="
Content-Disposition: attachment; filename*=utf-8''..%2F..%2Fetc%2Fc%C3%A9dula%20escaneada.pdf
Content-Transfer-Encoding: base64

{b64(PDF)}
--mix
Content-Type: image/jpeg; name="IMG_2041.JPG"
Content-Disposition: inline; filename="IMG_2041.JPG"
Content-Transfer-Encoding: base64

{b64(JPG)}
--mix--
""",
    "utf-8",
)


def test_attachments_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    mimetypes.init()  # reads the system's type files, before files are forbidden below

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"parse_mail opened a file: {args}")

    monkeypatch.setattr(builtins, "open", forbidden)
    monkeypatch.setattr(os, "open", forbidden)
    parsed = parse_mail(WITH_ATTACHMENTS)
    monkeypatch.undo()
    assert parsed.text == "Adjunto la cédula escaneada y la foto del daño."
    assert parsed.attachments == [
        Attachment("adjunto.png", "image/png", len(PNG)),
        Attachment("cédula escaneada.pdf", "application/pdf", len(PDF)),
        Attachment("IMG_2041.JPG", "image/jpeg", len(JPG)),
    ]


def test_attachment_only_is_not_empty() -> None:
    raw = WITH_ATTACHMENTS.replace(
        "Adjunto la cédula escaneada y la foto del daño.".encode(), b"Enviado desde mi iPhone"
    )
    parsed = parse_mail(raw)
    assert parsed.text == ""
    assert len(parsed.attachments) == 3


@pytest.mark.parametrize(
    "extra",
    [
        "Auto-Submitted: auto-replied\n",
        "Auto-Submitted: auto-generated; owner-email=x@y.co\n",
        "Precedence: bulk\n",
        "Precedence: junk\n",
        "X-Autoreply: yes\n",
        "X-Autorespond: Vacation\n",
    ],
)
def test_auto_replies_flagged(extra: str) -> None:
    raw = plain("Estoy de vacaciones hasta el 15 de noviembre.", extra=extra)
    assert parse_mail(raw).auto_submitted is True


def test_out_of_office_subject_flagged() -> None:
    raw = plain("Estaré fuera.", subject="Respuesta automática: Solicitud de información")
    assert parse_mail(raw).auto_submitted is True


def test_ordinary_reply_not_flagged() -> None:
    raw = plain("Gracias.", extra="Auto-Submitted: no\n")
    assert parse_mail(raw).auto_submitted is False


BOUNCE = mail("""\
Return-Path: <>
From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.com>
To: respuesta+c_1.a@e.gov.co
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="bnd"

--bnd
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.com.
I'm sorry to have to inform you that your message could not be delivered.

--bnd
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; nadie@example.com
Action: failed
Status: 5.1.1

--bnd--
""")


def test_bounce_flagged() -> None:
    parsed = parse_mail(BOUNCE)
    assert parsed.auto_submitted is True
    assert parsed.from_addr == "mailer-daemon@mx.example.com"
    assert parsed.text.startswith("This is the mail system")


def test_bounce_flagged_without_auto_submitted_header() -> None:
    raw = BOUNCE.replace(b"Auto-Submitted: auto-replied\r\n", b"").replace(b"<>", b"<x@y.co>")
    raw = raw.replace(b"MAILER-DAEMON@", b"avisos@").replace(b"Undelivered", b"Aviso")
    assert parse_mail(raw).auto_submitted is True


def test_too_large() -> None:
    with pytest.raises(MailParseError) as err:
        parse_mail(GMAIL_ES, max_bytes=1000)
    assert err.value.code == "mail_too_large"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage \x00",
        b"esto no es un correo electronico\r\n\r\nni tiene cabeceras",
        b"To: a@b.co\r\nSubject: sin remitente\r\n\r\nHola",
        b"From: nadie\r\nSubject: sin direccion\r\n\r\nHola",
    ],
)
def test_unreadable(raw: bytes) -> None:
    with pytest.raises(MailParseError) as err:
        parse_mail(raw)
    assert err.value.code == "mail_unreadable"


@pytest.mark.parametrize(
    "body",
    [
        "",
        "\n\n   \n",
        "El lun, 3 nov 2026 a las 10:02, Canal Capital <x@e.gov.co> escribió:\n> Hola\n",
        "> solo citas\n> nada nuevo\n",
        "Enviado desde mi iPhone\n",
        f"{REPLY_MARKER}\nHola\n",
    ],
)
def test_empty(body: str) -> None:
    with pytest.raises(MailParseError) as err:
        parse_mail(plain(body))
    assert err.value.code == "mail_empty"


def test_long_text_truncated() -> None:
    parsed = parse_mail(plain("a" * 3000 + "\n" + "b" * 3000))
    assert len(parsed.text) == MAX_TEXT_CHARS
    assert parsed.text.endswith("b […]")


def test_recipients_from_all_headers_deduplicated() -> None:
    raw = plain(
        "Hola", extra="Cc: Otro <OTRO@example.com>, x@e.gov.co\nX-Original-To: X@E.gov.co\n"
    )
    assert parse_mail(raw).to_addrs == [INBOUND.lower(), "otro@example.com", "x@e.gov.co"]


def test_missing_message_id() -> None:
    raw = plain("Hola").replace(b"Message-ID: <reply-1@example.com>\r\n", b"")
    parsed = parse_mail(raw)
    assert parsed.message_id == ""
    assert parsed.references == []


def test_html_to_text_is_safe() -> None:
    markup = (
        "<html><head><title>t</title><style>p{}</style></head><body>"
        "<p>Uno&nbsp;&amp;&#32;dos</p><script>document.write('x')</script>"
        "<div>tres<br/>cuatro</div><ul><li>a</li><li>b</li></ul>"
        "<blockquote type='cite'>citado</blockquote><img src=x onerror=alert(1)>"
    )
    assert strip_reply(html_to_text(markup)) == "Uno & dos\n\ntres\ncuatro\n- a\n- b"


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("respuesta+c_AbC123.9f8e7d@correo.entidad.gov.co", "c_AbC123.9f8e7d"),
        ("Canal Capital <respuesta+c_AbC123.9f8e7d@correo.entidad.gov.co>", "c_AbC123.9f8e7d"),
        ("Respuesta+tok@e.gov.co", "tok"),
        ("respuesta@e.gov.co", None),
        ("respuesta+@e.gov.co", None),
        ("otra+tok@e.gov.co", None),
        ("respuestas+tok@e.gov.co", None),
        ("respuesta+tok con espacio@e.gov.co", None),
        ("sin-arroba", None),
    ],
)
def test_reply_token(address: str, expected: str | None) -> None:
    assert reply_token(address) == expected


def test_reply_token_custom_prefix() -> None:
    assert reply_token("pqrs+abc@e.gov.co", local_prefix="pqrs") == "abc"
    assert reply_token("respuesta+abc@e.gov.co", local_prefix="pqrs") is None
