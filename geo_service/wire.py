"""Request bodies that accept exactly the JSON types their schema names.

FastAPI validates a parsed JSON body in pydantic's lax (Python) mode, where ``0`` passes as
``false``, ``false`` as ``0``, ``"12"`` as a number and ``0`` as a date; the OpenAPI document
says ``boolean``, ``integer``, ``number`` and ``string`` (format ``date``). :class:`JsonBody`
refuses those coercions before pydantic sees the values, so the document is the contract.
Values that are not JSON (a ``date`` an importer read from an Excel cell) are left to pydantic.
"""

from __future__ import annotations

import types
import typing
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


def _kinds(annotation: Any) -> set[str] | None:
    """The JSON kinds a field's annotation admits; ``None`` when this check does not apply."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _kinds(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        out: set[str] = set()
        for arg in typing.get_args(annotation):
            if arg is type(None):
                continue
            kinds = _kinds(arg)
            if kinds is None:
                return None
            out |= kinds
        return out
    if annotation is bool:
        return {"boolean"}
    if annotation is int:
        return {"integer"}
    if annotation is float:
        return {"number"}
    if annotation is Decimal:
        return {"number", "string"}  # pydantic's schema for Decimal: a number or its text
    if annotation in (date, datetime):
        return {"string"}
    return None


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    return "other"


class JsonBody(BaseModel):
    """Base of request bodies: unknown fields refused, JSON types as documented."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _json_types(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        for name, field in cls.model_fields.items():
            key = field.alias or name
            value = data.get(key)
            if value is None:
                continue
            kinds = _kinds(field.annotation)
            if kinds is None:
                continue
            kind = _kind_of(value)
            # only JSON values are judged: Python objects (a date from an Excel cell) pass on
            if kind in kinds or kind == "other" or (kind == "integer" and "number" in kinds):
                continue
            want = " or ".join(sorted(kinds))
            raise ValueError(f"{key} must be a JSON {want}, not {kind} {value!r:.40}")
        return data
