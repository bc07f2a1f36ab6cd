"""One small exception tree. Each error carries a public message safe to show a user.

The HTTP layer maps these to status codes in ONE place (``api/errors.py``); the CLI prints the
message and exits non-zero. Internal detail (SQL, stack) never goes into ``public``.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any


class GeoServiceError(Exception):
    """Base of every error the service raises on purpose."""

    status = 500
    title = "Internal error"

    def __init__(
        self, public: str, *, extra: dict[str, Any] | None = None, zh: str | None = None
    ) -> None:
        super().__init__(public)
        self.public = public
        self.extra = extra or {}
        #: the same message in Chinese, for pages shown to people (maps); None = only English
        self.public_zh = zh


class NotFound(GeoServiceError):
    status = 404
    title = "Not found"


class InvalidInput(GeoServiceError):
    """Bad parameter, body or file content."""

    status = 422
    title = "Invalid input"


class InvalidGeometry(InvalidInput):
    title = "Invalid geometry"


class ImportRejected(InvalidInput):
    """A file import found problems; ``extra['problems']`` lists every one."""

    title = "Import rejected"


class Conflict(GeoServiceError):
    status = 409
    title = "Conflict"


class PreconditionRequired(GeoServiceError):
    status = 428
    title = "Precondition required"


class StaleVersion(GeoServiceError):
    """If-Match did not match the current version."""

    status = 412
    title = "Precondition failed"


class TooLarge(GeoServiceError):
    status = 413
    title = "Payload too large"


class Unauthorized(GeoServiceError):
    status = 401
    title = "Unauthorized"


class Forbidden(GeoServiceError):
    status = 403
    title = "Forbidden"


class DatabaseUnavailable(GeoServiceError):
    status = 503
    title = "Database unavailable"


class ServiceBusy(GeoServiceError):
    """Every pooled connection stayed in use for the configured wait: busy, not down."""

    status = 503
    title = "Service busy"


class SchemaOutdated(GeoServiceError):
    status = 503
    title = "Schema out of date"


class ConfigurationError(GeoServiceError):
    title = "Configuration error"


def check_version(current: int, expected: Collection[int], *, what: str = "the record") -> None:
    """StaleVersion (412, with the current version) unless ``expected`` names ``current``.

    ``expected`` are the versions of the request's If-Match; one check for every editable record.
    """
    if current not in expected:
        raise StaleVersion(
            f"{what} changed since you read it: it is at version {current}, your If-Match names "
            + ", ".join(str(v) for v in sorted(expected))
            + "; GET it again, re-apply your change and send the new ETag",
            extra={"current_version": current, "current_etag": f'"{current}"'},
        )
