"""The one place results become JSON: never NaN or Infinity, which are not JSON.

``json.dumps`` writes ``NaN`` by default, which strict JSON readers (browsers, FHIR servers,
jq) refuse; a non-finite number in a result is a bug upstream, so it raises instead.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from calcinosis.errors import CalcinosisError
from calcinosis.textsafe import json_safe

__all__ = ["NonFiniteResultError", "to_json"]


class NonFiniteResultError(CalcinosisError):
    """A result held NaN or Infinity (a bug: inputs are checked to be finite)."""


def to_json(obj: Any, *, indent: int | None = 2) -> str:
    """Serialise a result (a pydantic model, or plain data of them) as strict JSON text."""
    data = _plain(obj)
    try:
        return json_safe(json.dumps(data, ensure_ascii=False, indent=indent, allow_nan=False))
    except ValueError as exc:
        raise NonFiniteResultError(
            f"the result holds a non-finite number and cannot be written as JSON ({exc})"
        ) from None


def _plain(obj: Any) -> Any:
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json", by_alias=True)
    if isinstance(obj, list | tuple):
        return [_plain(item) for item in obj]
    return obj
