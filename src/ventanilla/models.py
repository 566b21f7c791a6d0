"""Imports every domain's tables so ``Base.metadata`` knows them all (migrations, tests)."""

from __future__ import annotations


def load_all() -> None:
    pass
