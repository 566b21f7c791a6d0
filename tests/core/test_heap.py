"""The server worker tunes its garbage collector (core/heap.py); apps made in-process don't."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ventanilla.core import heap

_CHILD = """
import gc, json
from starlette.testclient import TestClient
from ventanilla.app import app_from_env, create_app
from ventanilla.settings import Settings

with TestClient(create_app(Settings())):
    plain = {"thresholds": gc.get_threshold(), "frozen": gc.get_freeze_count()}
with TestClient(app_from_env()):
    served = {"thresholds": gc.get_threshold(), "frozen": gc.get_freeze_count()}
print(json.dumps({"plain": plain, "served": served}))
"""


def test_the_server_worker_freezes_its_start_up_heap(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "VENTANILLA_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'heap.db'}",
        "VENTANILLA_BROKER_URL": "memory://",
        "VENTANILLA_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
    }
    subprocess.run(
        [sys.executable, "-m", "ventanilla.cli", "migrate"], env=env, check=True, timeout=120
    )
    out = subprocess.run(
        [sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["plain"]["frozen"] == 0  # an app inside another program: Python's defaults
    assert tuple(result["plain"]["thresholds"]) != heap.THRESHOLDS
    assert result["served"]["frozen"] > 10_000  # modules, routes, caches: out of the way
    assert tuple(result["served"]["thresholds"]) == heap.THRESHOLDS
