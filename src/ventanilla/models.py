"""Imports every domain's tables so ``Base.metadata`` knows them all (migrations, tests)."""

from __future__ import annotations


def load_all() -> None:
    import ventanilla.agents.models
    import ventanilla.assistant.models
    import ventanilla.canned.models
    import ventanilla.cases.models
    import ventanilla.conversations.models
    import ventanilla.core.models
    import ventanilla.entity.models
    import ventanilla.kb.models
    import ventanilla.notifications.models
    import ventanilla.reports.models
    import ventanilla.satisfaction.models  # noqa: F401
