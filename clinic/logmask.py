"""Keep secrets out of logs: signed-link tokens in paths, and every query string (search terms).

Pure Python (no Django), so gunicorn's access logger can use it before Django starts. Add a
pattern here when a new URL carries a token in its path.
"""

from __future__ import annotations

import logging
import re

# Path segments that are secrets: the token (and the user id beside it) of signed links.
SECRET_PATHS = [
    re.compile(r"(/booking/link/)[^/?\s]+"),
    re.compile(r"(/accounts/verify/)[^/?\s]+/[^/?\s]+"),
    re.compile(r"(/accounts/reset/)[^/?\s]+/[^/?\s]+"),
    re.compile(r"(/accounts/email/confirm/)[^/?\s]+"),
]
MASK = "***"


def mask_path(path: str) -> str:
    """The path without its query string and with signed-link tokens masked."""
    path = path.split("?", 1)[0]
    for pattern in SECRET_PATHS:
        path = pattern.sub(rf"\g<1>{MASK}", path)
    return path


def mask_text(text: str) -> str:
    """Masks tokens in any path found in a log line, and drops query strings after them."""
    for pattern in SECRET_PATHS:
        text = pattern.sub(rf"\g<1>{MASK}", text)
    return re.sub(r"(/[^\s?\"']*)\?[^\s\"']*", r"\1", text)


class MaskSecretsFilter(logging.Filter):
    """For Django's own loggers (e.g. "Not Found: /booking/link/<token>/", "django.server")."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True
