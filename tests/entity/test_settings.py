"""Entity settings: validation (contrast, origins, hours), notice versions, office hours."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from tests.clients import Agent, create_user, seed_demo
from tests.conftest import LiveServer
from ventanilla.entity.hours import is_open, next_open, summary
from ventanilla.entity.schemas import DayHours, EntitySettings, OfficeHours, contrast_ratio


def test_contrast_is_enforced() -> None:
    assert contrast_ratio("#ffffff", "#000000") == pytest.approx(21)
    with pytest.raises(ValidationError, match="contrast_too_low"):
        EntitySettings(primary_color="#ffff00", text_on_primary="#ffffff")
    EntitySettings(primary_color="#b3163b", text_on_primary="#ffffff")


def test_origins_are_normalised() -> None:
    s = EntitySettings(allowed_origins=["https://WWW.Entidad.gov.co/", "http://localhost:8080"])
    assert s.allowed_origins == ["http://localhost:8080", "https://www.entidad.gov.co"]
    with pytest.raises(ValidationError, match="origin_invalid"):
        EntitySettings(allowed_origins=["https://entidad.gov.co/contacto"])
    with pytest.raises(ValidationError, match="origin_invalid"):
        EntitySettings(allowed_origins=["javascript:alert(1)"])


def test_office_hours_in_bogota() -> None:
    hours = OfficeHours()  # Monday to Friday 07:00-16:30, America/Bogota (UTC-5)
    friday_noon = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)  # 12:00 in Bogotá
    friday_evening = datetime(2026, 11, 27, 22, 0, tzinfo=UTC)  # 17:00 in Bogotá
    assert is_open(hours, friday_noon)
    assert not is_open(hours, friday_evening)
    assert next_open(hours, friday_evening) == datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert summary(hours, "es") == "Lunes a viernes, 07:00 a 16:30"
    hours.days[5] = DayHours(open="08:00", close="12:00")
    assert summary(hours, "es") == "Lunes a viernes, 07:00 a 16:30; Sábado, 08:00 a 12:00"
    assert summary(hours, "en") == "Monday to Friday, 07:00 to 16:30; Saturday, 08:00 to 12:00"
    with pytest.raises(ValidationError):
        DayHours(open="17:00", close="08:00")


async def test_admin_updates_settings_and_widget_sees_them(server: LiveServer) -> None:
    await seed_demo(server.settings.database_url, server.url)
    await create_user(server.settings.database_url, "admin@entidad.gov.co", role="admin")
    admin = Agent(server.url)
    await admin.login("admin@entidad.gov.co")
    current = (await admin.http.get("/api/admin/settings")).json()
    assert current["name"] == "Canal Capital (demo)"

    async def put(data: dict[str, object]) -> object:
        return await admin.http.put(
            "/api/admin/settings", json=data, headers={"X-CSRF-Token": admin.csrf}
        )

    bad = await put({**current, "primary_color": "#ffff00"})
    assert bad.status_code == 422  # type: ignore[attr-defined]
    assert bad.json()["error"]["code"] == "contrast_too_low"  # type: ignore[attr-defined]
    bad = await put({**current, "privacy_notice_text": current["privacy_notice_text"] + " Nuevo."})
    assert bad.json()["error"]["code"] == "privacy_version_must_change"  # type: ignore[attr-defined]
    assert bad.json()["error"]["field"] == "privacy_notice_version"  # type: ignore[attr-defined]
    bad = await put({**current, "office_hours": {"timezone": "Marte/Olympus", "days": [None] * 7}})
    assert bad.json()["error"]["code"] == "timezone_invalid"  # type: ignore[attr-defined]

    ok = await put(
        {
            **current,
            "welcome": "Bienvenido <script>x</script>",
            "primary_color": "#004080",
            "privacy_notice_text": "Aviso nuevo de privacidad, Ley 1581 de 2012.",
            "privacy_notice_version": "2027-01",
        }
    )
    assert ok.status_code == 200, ok.text  # type: ignore[attr-defined]
    server.ctx.entity.invalidate()
    config = (await admin.http.get("/api/widget/config")).json()
    assert config["texts"]["welcome"] == "Bienvenido <script>x</script>"  # stored as text
    assert config["theme"]["primary_color"] == "#004080"
    assert config["privacy_notice"]["version"] == "2027-01"
    assert config["messages"]  # the widget's catalog comes with its config
    assert all(k.startswith("widget.") for k in config["messages"])
    await admin.close()
