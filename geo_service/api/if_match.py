"""Concurrent edits: record ETags and the ``If-Match`` header (428 when a required one is missing,
412 when it names an old version), as dependencies (``IfMatchDep``, ``OptionalIfMatchDep``)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Header, Request

from geo_service.errors import (
    InvalidInput,
    PreconditionRequired,
    check_version,
)


def etag(version: int) -> str:
    """The strong ETag of a record version: ``"<version>"``."""
    return f'"{version}"'


#: an ETag list as If-Match takes it: ``"3"``, ``W/"3"``, ``3``, or several separated by commas
IF_MATCH_PATTERN = r'^(?:W/)?"?[0-9]{1,18}"?(?: *, *(?:W/)?"?[0-9]{1,18}"?)*$'
OPTIONAL_IF_MATCH_PATTERN = r"^(?:|\*|" + IF_MATCH_PATTERN[1:-1] + ")$"
_ETAG = re.compile(r'(?:W/)?"?([0-9]{1,18})"?')


def _parse_if_match(value: str) -> frozenset[int]:
    versions = set()
    for part in value.split(","):
        tag = part.strip()
        if tag.strip('"') == "*":
            raise PreconditionRequired(
                "If-Match: * would overwrite any version; send the ETag of your last GET, "
                'e.g. If-Match: "3"'
            )
        m = _ETAG.fullmatch(tag)
        if m is None:
            raise InvalidInput(
                f'If-Match must be the ETag of your last GET of this record, e.g. "3"; '
                f"got {value[:50]!r}"
            )
        versions.add(int(m.group(1)))
    return frozenset(versions)


class IfMatch:
    """The versions named by the request's ``If-Match`` header (428 when it is missing)."""

    def __init__(
        self,
        if_match: Annotated[
            str | None,
            Header(
                max_length=200,
                description='the ETag of your last GET of this record, e.g. "3" (required: '
                "428 without it, 412 when it is not the current version)",
                json_schema_extra={"pattern": IF_MATCH_PATTERN},
            ),
        ] = None,
    ) -> None:
        if if_match is None or not if_match.strip():
            raise PreconditionRequired(
                "this update needs an If-Match header with the ETag of your last GET of the "
                'record (e.g. If-Match: "3"), so that nobody\'s change is overwritten'
            )
        self.versions = _parse_if_match(if_match)

    def check(self, current_version: int) -> None:
        """StaleVersion (412, with the current version) unless the header names it."""
        check_version(current_version, self.versions)


IfMatchDep = Annotated[IfMatch, Depends(IfMatch)]


def optional_if_match(
    if_match: Annotated[
        str | None,
        Header(
            max_length=200,
            description='optional: the ETag of your last GET, e.g. "3"; `*` or empty = any',
            json_schema_extra={"pattern": OPTIONAL_IF_MATCH_PATTERN},
        ),
    ] = None,
) -> frozenset[int] | None:
    """For appends that lose nothing (an attestation adds a record): checked only when sent."""
    if if_match is None or if_match.strip() in ("", "*"):
        return None
    return _parse_if_match(if_match)


OptionalIfMatchDep = Annotated[frozenset[int] | None, Depends(optional_if_match)]


def check_if_match(request: Request, current_version: int) -> None:
    """428 without If-Match, 412 (with the current version in the body) when it is stale."""
    IfMatch(request.headers.get("if-match")).check(current_version)
