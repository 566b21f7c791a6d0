"""Entity settings as admins edit them and as the widget receives them."""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator, model_validator

_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

DEFAULT_NOTICE = (
    "Los datos personales que usted suministre (nombre y correo electrónico) serán tratados por "
    "la entidad, como responsable, para atender su solicitud, enviarle las respuestas y medir la "
    "calidad del servicio, conforme a la Ley 1581 de 2012 y al Decreto 1377 de 2013. Usted "
    "puede conocer, actualizar, rectificar y suprimir sus datos, solicitar prueba de esta "
    "autorización y revocarla, escribiendo al correo de contacto de la entidad. Consulte la "
    "política de tratamiento de datos en el enlace."
)


class DayHours(BaseModel):
    open: str
    close: str

    @model_validator(mode="after")
    def _check(self) -> DayHours:
        if not _HHMM.match(self.open) or not _HHMM.match(self.close):
            raise ValueError("hours_invalid")
        if self.close <= self.open:
            raise ValueError("hours_invalid")
        return self


def _weekdays() -> list[DayHours | None]:
    return [DayHours(open="07:00", close="16:30") for _ in range(5)] + [None, None]


class OfficeHours(BaseModel):
    timezone: str = "America/Bogota"
    days: list[DayHours | None] = Field(default_factory=_weekdays, min_length=7, max_length=7)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("timezone_invalid") from exc
        return v


def _origin(value: str) -> str:
    value = value.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query:
        raise ValueError("origin_invalid")
    return f"{parts.scheme}://{parts.netloc}".lower()


def _luminance(hex_color: str) -> float:
    def chan(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * chan(r) + 0.7152 * chan(g) + 0.0722 * chan(b)


def contrast_ratio(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


class EntitySettings(BaseModel):
    name: str = Field("Entidad", min_length=1, max_length=120)
    privacy_policy_url: str = Field("", max_length=500)
    contact_email: str = Field("", max_length=254)
    primary_color: str = "#1f4e8c"
    text_on_primary: str = "#ffffff"
    position: Literal["right", "left"] = "right"
    title: str = Field("Atención a la ciudadanía", min_length=1, max_length=80)
    welcome: str = Field(
        "Hola. Escríbanos su consulta, petición, queja, reclamo, sugerencia o denuncia.",
        min_length=1,
        max_length=500,
    )
    launcher: str = Field("Chatee con nosotros", min_length=1, max_length=40)
    privacy_notice_text: str = Field(DEFAULT_NOTICE, min_length=20, max_length=5000)
    privacy_notice_version: str = Field("1", min_length=1, max_length=40)
    allowed_origins: list[str] = Field(default_factory=list, max_length=50)
    office_hours: OfficeHours = Field(default_factory=OfficeHours)
    assistant_enabled: bool = True  # answers from the knowledge base when it has entries

    @field_validator("primary_color", "text_on_primary")
    @classmethod
    def _color(cls, v: str) -> str:
        if not _COLOR.match(v):
            raise ValueError("color_invalid")
        return v.lower()

    @field_validator("privacy_policy_url")
    @classmethod
    def _url(cls, v: str) -> str:
        v = v.strip()
        if v and urlsplit(v).scheme not in ("http", "https"):
            raise ValueError("url_invalid")
        return v

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, v: list[str]) -> list[str]:
        return sorted({_origin(o) for o in v if o.strip()})

    @model_validator(mode="after")
    def _contrast(self) -> EntitySettings:
        # WCAG 2.1 AA: the widget's header and launcher text must stay readable.
        if contrast_ratio(self.primary_color, self.text_on_primary) < 4.5:
            raise ValueError("contrast_too_low")
        return self
