"""Read-your-writes with a read replica: the client carries the primary's WAL position.

After a successful write (any method but GET/HEAD) on a service with a read replica, the answer
carries the primary's WAL position after the commit, ``pg_current_wal_insert_lsn()``: a header
``Geo-Service-LSN: 0/3A1B2C8`` and a cookie ``gs_lsn`` with the same value. A read that sends it
back (the cookie, which browsers and cookie-keeping clients do by themselves, or the header) is
served by the replica only when it has replayed that far (``pg_last_wal_replay_lsn()``), else by the
primary; so the client sees its own write, and the ETag it reads is the one its next PATCH needs.

The position travels with the client, not in process memory: any worker on any host answers the
next read the same way. Reads without it go to the replica whatever its lag.
"""

from __future__ import annotations

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geo_service.db.replica import LSN_PATTERN

COOKIE = "gs_lsn"
HEADER = "Geo-Service-LSN"
#: how long a browser keeps the position; a replica more than this far behind is an outage
COOKIE_MAX_AGE_S = 3600
#: request.state attribute the session dependency sets after a write commits
STATE_ATTR = "wrote_lsn"


def client_lsn(request: Request) -> str | None:
    """The WAL position the caller last wrote at (header first, then cookie), if well-formed."""
    value = request.headers.get(HEADER) or request.cookies.get(COOKIE)
    if value and LSN_PATTERN.match(value.strip()):
        return value.strip()
    return None


class ReadYourWrites:
    """Adds the header and cookie to the answer of a committed write (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})  # request.state: shared with the inner scopes

        async def send_with_lsn(message: Message) -> None:
            if message["type"] == "http.response.start":
                lsn = state.get(STATE_ATTR)
                if lsn and message["status"] < 400:
                    secure = "; Secure" if scope.get("scheme") == "https" else ""
                    cookie = (
                        f"{COOKIE}={lsn}; Path=/; Max-Age={COOKIE_MAX_AGE_S}; "
                        f"HttpOnly; SameSite=Lax{secure}"
                    )
                    message["headers"] = [
                        *message.get("headers", []),
                        (HEADER.lower().encode(), lsn.encode()),
                        (b"set-cookie", cookie.encode()),
                    ]
            await send(message)

        await self.app(scope, receive, send_with_lsn)
