"""The request body limit: an ASGI middleware that answers 413 (problem details) for a body or
upload over ``Settings.max_body_bytes`` / ``max_upload_bytes`` before the route reads it."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geo_service.errors import (
    TooLarge,
)
from geo_service.settings import Settings


class BodySizeLimit:
    """Refuse request bodies over the configured size with 413 before reading them.

    ``Settings.max_body_bytes`` for JSON and other bodies, ``Settings.max_upload_bytes`` for
    ``multipart/form-data`` uploads. Works with and without ``Content-Length`` (chunked bodies are
    counted as they arrive).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings: Settings = scope["app"].state.settings
        headers = dict(scope.get("headers") or [])
        upload = headers.get(b"content-type", b"").lower().startswith(b"multipart/form-data")
        limit = settings.max_upload_bytes if upload else settings.max_body_bytes
        what = "upload" if upload else "request body"
        length = headers.get(b"content-length")
        if length is not None and length.strip().isdigit() and int(length) > limit:
            await _send_413(send, what, limit)
            return

        if length is None and scope.get("method") in ("POST", "PUT", "PATCH"):
            # a chunked body: read it here, up to the limit, so the answer is a clean 413 (a
            # limit hit inside the framework's body parser would surface as a vague 400)
            messages: list[Message] = []
            received = 0
            while True:
                message = await receive()
                messages.append(message)
                if message["type"] != "http.request":
                    break
                received += len(message.get("body", b""))
                if received > limit:
                    await _send_413(send, what, limit)
                    return
                if not message.get("more_body", False):
                    break

            async def replay() -> Message:
                return messages.pop(0) if messages else await receive()

            await self.app(scope, replay, send)
            return
        await self.app(scope, receive, send)


async def _send_413(send: Send, what: str, limit: int) -> None:
    err = TooLarge(
        f"the {what} is larger than the limit of {limit} bytes "
        f"(GEO_SERVICE_MAX_{'UPLOAD' if what == 'upload' else 'BODY'}_BYTES); "
        "send less, e.g. split the file or fewer features per request"
    )
    body = json.dumps(
        {
            "type": "about:blank",
            "title": err.title,
            "status": err.status,
            "detail": err.public,
            "limit_bytes": limit,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
