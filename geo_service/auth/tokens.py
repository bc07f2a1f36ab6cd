"""API tokens and the principal a request acts as. Only a token's SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from geo_service.audit import ApiToken, record
from geo_service.errors import Conflict, InvalidInput, NotFound, Unauthorized

ROLES = ("bureau", "official", "investor")
TOKEN_PREFIX = "gs_"


@dataclass(frozen=True)
class Principal:
    """Who is asking: a role, a name and a county; ``role=None`` is the anonymous public.

    ``county``: the division code the token is scoped to (None: the whole city).
    """

    role: str | None
    name: str
    county: str | None = None

    @property
    def is_public(self) -> bool:
        """The public (investor) view: published records and public fields only."""
        return self.role in (None, "investor")

    @property
    def actor(self) -> str:
        return f"{self.role or 'public'}:{self.name}"


PUBLIC = Principal(role=None, name="anonymous")
SYSTEM = Principal(role="bureau", name="system")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


#: what ``api_tokens.token_hash`` holds for a secret (for statements that look tokens up in SQL)
hash_secret = _hash


def create_token(
    session: Session, *, role: str, name: str, actor: str, county: str | None = None
) -> str:
    """Store a new token and return its secret (shown once, never stored).

    ``county``: scope the token to one county (its division code); None: the whole city.
    """
    if county is not None:
        from geo_service.counties.scope import check_code

        county = check_code(session, county, field="--county")
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}; got {role!r}")
    if not name.strip() or len(name) > 200:
        raise InvalidInput("token name must be 1-200 characters")
    live = session.execute(
        select(ApiToken.id).where(ApiToken.name == name.strip(), ApiToken.revoked_at.is_(None))
    ).first()
    if live is not None:
        raise Conflict(
            f"a live token named {name.strip()!r} exists; choose another name, or revoke it "
            "first (geo-service token revoke --name …) so that revoking one never revokes two"
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name.strip(), role=role, county=county, token_hash=_hash(secret)))
    record(
        session,
        actor=actor,
        action="token.create",
        entity_type="token",
        entity_code=name.strip(),
        after={"role": role, "county": county},
    )
    return secret


def revoke_token(session: Session, *, name: str, actor: str) -> int:
    """Revoke every live token with this name; returns how many."""
    res = session.execute(
        update(ApiToken)
        .where(ApiToken.name == name, ApiToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    n = res.rowcount  # type: ignore[attr-defined]
    if n == 0:
        raise NotFound(f"no live token named {name!r}; see `geo-service token list`")
    record(session, actor=actor, action="token.revoke", entity_type="token", entity_code=name)
    return int(n)


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.execute(select(ApiToken).order_by(ApiToken.created_at)).scalars())


def resolve(session: Session, secret: str) -> Principal:
    """The principal of a bearer token; Unauthorized when unknown or revoked."""
    tok = session.execute(
        select(ApiToken).where(ApiToken.token_hash == _hash(secret), ApiToken.revoked_at.is_(None))
    ).scalar()
    if tok is None:
        raise Unauthorized(
            "the bearer token is unknown or revoked; ask the land bureau for a new one "
            "(geo-service token create)"
        )
    return Principal(role=tok.role, name=tok.name, county=tok.county)


#: how stale ``last_used_at`` may get before a request writes it again (one write per token per
#: interval, not one per request)
LAST_USED_RESOLUTION = "10 minutes"


def touch(session: Session, secret: str) -> None:
    """Record that a token was used (at most once per LAST_USED_RESOLUTION; a no-op otherwise).

    ``SKIP LOCKED``: when another request holds the token's row (it is touching it in its own,
    perhaps long, transaction) this one neither waits nor writes; the other one records the use.
    """
    session.execute(
        text(
            f"""UPDATE api_tokens SET last_used_at = now() WHERE id IN (
                SELECT id FROM api_tokens WHERE token_hash = :h
                  AND (last_used_at IS NULL
                       OR last_used_at < now() - interval '{LAST_USED_RESOLUTION}')
                FOR UPDATE SKIP LOCKED)"""  # noqa: S608 -- a constant, not input
        ),
        {"h": _hash(secret)},
    )


class TouchThrottle:
    """Per process: which tokens were touched lately, so most requests skip the write entirely.

    Bounded (forgets everything past ``max_tokens``); losing it only costs one no-op UPDATE.
    """

    def __init__(self, interval_s: float = 60.0, max_tokens: int = 10_000) -> None:
        self.interval_s = interval_s
        self.max_tokens = max_tokens
        self._last: dict[str, float] = {}

    def due(self, secret: str, now: float) -> bool:
        """True (and remembered) when this process has not touched the token in the interval."""
        key = _hash(secret)
        last = self._last.get(key)
        if last is not None and now - last < self.interval_s:
            return False
        if len(self._last) >= self.max_tokens:
            self._last.clear()
        self._last[key] = now
        return True
