"""The SMTP test server and a live server that sends through it (from tests/notifications)."""

from tests.notifications.conftest import mail_server, mail_settings, smtp

__all__ = ["mail_server", "mail_settings", "smtp"]
