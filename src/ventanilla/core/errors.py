"""Domain errors: a stable ``code`` for programs and a translated message for people."""

from __future__ import annotations

from typing import Any

from ventanilla.core.i18n import translate


class AppError(Exception):
    """A refused operation. Raised before anything is flushed, or the unit rolls back."""

    def __init__(
        self, code: str, status: int = 422, *, field: str | None = None, **params: Any
    ) -> None:
        super().__init__(code)
        self.code = code
        self.status = status
        self.field = field
        self.params = params

    def message(self, lang: str) -> str:
        return translate(lang, f"error.{self.code}", **self.params)

    def body(self, lang: str) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "message": self.message(lang)}
        if self.field:
            err["field"] = self.field
        return {"error": err}


class NotFound(AppError):
    def __init__(self, code: str = "not_found") -> None:
        super().__init__(code, 404)


class Conflict(AppError):
    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code, 409, **params)


class Forbidden(AppError):
    def __init__(self, code: str = "forbidden") -> None:
        super().__init__(code, 403)


class Unauthorized(AppError):
    def __init__(self, code: str = "not_authenticated") -> None:
        super().__init__(code, 401)


class RateLimited(AppError):
    def __init__(self, retry_after: float) -> None:
        super().__init__("rate_limited", 429, seconds=max(1, round(retry_after)))
        self.retry_after = retry_after
