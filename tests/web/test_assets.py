"""Static checks on the front end: the widget's weight, and no HTML injection sinks."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

STATIC = Path(__file__).parents[2] / "src" / "ventanilla" / "web" / "static"
TEMPLATES = STATIC.parent / "templates"


def test_widget_is_small() -> None:
    data = b"".join((STATIC / "widget" / name).read_bytes() for name in ("widget.js", "widget.css"))
    size = len(gzip.compress(data, 9))
    print(f"widget.js + widget.css gzipped: {size} bytes")
    assert size < 25 * 1024


@pytest.mark.parametrize("path", sorted(STATIC.rglob("*.js")), ids=lambda p: p.name)
def test_no_html_sinks_in_javascript(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    sinks = re.findall(
        r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(", source
    )
    assert sinks == [], f"{path.name} uses {sinks}"


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: p.name)
def test_templates_never_disable_escaping(path: Path) -> None:
    """``|safe`` only on the catalog JSON (with ``<`` escaped) and on macro attributes that
    the templates themselves write; never on data."""
    allowed = ('messages_json|replace("<", "\\\\u003c")|safe', "attrs|safe")
    for line in path.read_text(encoding="utf-8").splitlines():
        if "|safe" in line:
            assert any(a in line for a in allowed), line
        assert "autoescape false" not in line
