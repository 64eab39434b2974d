"""The calcinosis record: the parts of a case that a Phenopacket cannot hold natively.

A Phenopacket v2 has no place for an imaging study's patterns and tissues, for the days from
an exposure to the first sign, for the clinical sites, or for the order of a mixed ``absent``
list; and some native forms are inexact (an age of 24.3 years becomes whole days). So the
export checks, field by field, whether reading its own native elements back gives the case's
value; for every field where it does not, the exact value travels in one ``files`` entry::

    {"uri": "urn:calcinosis:case-record",
     "fileAttributes": {"description": "...", "calcinosis_version": "0.5.0",
                        "native_sha256": "<digest of the native elements>",
                        "imaging[0]": "{\\"modality\\":\\"radiograph\\",...}",
                        "onset_days_after": "{\\"intramuscular_injections\\":21}"}}

``file_attributes`` is the one free-form map of the Phenopacket core schema; values are
JSON, one attribute per list item so that no value outgrows the reader's string limit. Fields
that have native elements (findings, labs...) are taken from the record only while
``native_sha256`` still matches the packet (it was not edited after export); otherwise the
native elements win and the report says so. Fields with no native home are always taken.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from calcinosis.i18n import message
from calcinosis.interop.phenopackets._pb import json_format
from calcinosis.issues import Issue

__all__ = [
    "DIGEST_KEY",
    "ENGINE_SUFFIX",
    "FIELDS",
    "LIST_FIELDS",
    "NATIVE_FIELDS",
    "RECORDED_SUFFIX",
    "RECORD_URI",
    "decode",
    "encode",
    "get_path",
    "native_digest",
    "set_path",
]

RECORD_URI = "urn:calcinosis:case-record"
RECORDED_SUFFIX = "-recorded-diagnosis"
"""Interpretation id suffix of the diagnosis recorded with the case (``expected.diagnosis``)."""
ENGINE_SUFFIX = "-calcinosis-suggestion"
"""Interpretation id suffix of the engine's top diagnosis (``--with-diagnosis``): read back as
a suggestion, never as the case's diagnosis."""
DIGEST_KEY = "native_sha256"
META_KEYS = frozenset({"description", "calcinosis_version", DIGEST_KEY})

Path = tuple[str, ...]

FIELDS: tuple[Path, ...] = (
    ("id",),
    ("patient", "age"),
    ("patient", "sex"),
    ("patient", "postmenopausal"),
    ("history",),
    ("exposures",),
    ("findings",),
    ("sites",),
    ("duration_months",),
    ("onset_days_after",),
    ("absent",),
    ("labs",),
    ("antibodies",),
    ("genetics",),
    ("imaging",),
    ("expected",),
)
"""The fields the export compares, in case-format order."""

NATIVE_FIELDS: frozenset[Path] = frozenset(
    {
        ("id",),
        ("patient", "age"),
        ("patient", "sex"),
        ("history",),
        ("exposures",),
        ("findings",),
        ("duration_months",),
        ("absent",),
        ("labs",),
        ("antibodies",),
        ("expected",),
    }
)
"""Fields that have native elements too: taken from the record only while the digest matches."""

LIST_FIELDS = frozenset(
    {"history", "exposures", "findings", "sites", "absent", "labs", "antibodies", "genetics", "imaging"}
)
"""Case fields that are lists (carried one attribute per item)."""
_EXPECTED_KEYS = ("category", "diagnosis", "source")
_KEY = re.compile(r"^(?P<field>[a-z_]+)(?:\.(?P<sub>[a-z_]+))?(?:\[(?P<index>\d{1,4})\])?$")


def get_path(data: dict[str, Any], path: Path) -> Any:
    """The value at ``path`` of a case dict (None when absent)."""
    node: Any = data
    for part in path:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def set_path(data: dict[str, Any], path: Path, value: Any) -> None:
    """Set the value at ``path`` of a case dict, creating the parent mapping if needed."""
    node = data
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _compact(item: Any) -> Any:
    """An item without its unset keys (None, empty lists): shorter, and read back the same."""
    if isinstance(item, dict):
        return {k: v for k, v in item.items() if v is not None and v != []}
    return item


def encode(case_data: dict[str, Any], paths: list[Path]) -> dict[str, str]:
    """The attributes that carry the fields ``paths`` of a case (``model_dump(mode="json")``)."""
    out: dict[str, str] = {}
    for path in paths:
        key = ".".join(path)
        value = get_path(case_data, path)
        if path[0] in LIST_FIELDS:
            items = list(value or [])
            if not items:
                out[key] = "[]"
            for i, item in enumerate(items):
                out[f"{key}[{i}]"] = _dumps(_compact(item))
        elif path == ("expected",):
            out[key] = "null" if value is None else "{}"
            for sub in _EXPECTED_KEYS:
                if value is not None and value.get(sub) is not None:
                    out[f"{key}.{sub}"] = _dumps(value[sub])
        else:
            out[key] = _dumps(value)
    return out


def decode(attributes: dict[str, str], location: str, lang: str = "en") -> tuple[dict[Path, Any], list[Issue]]:
    """The fields carried by a record's attributes, and the problems found (located, in ``lang``)."""
    singles: dict[Path, Any] = {}
    lists: dict[Path, dict[int, Any]] = {}
    expected: dict[str, Any] | None = None
    expected_set = False
    issues: list[Issue] = []
    for key in sorted(attributes):
        where = f'{location}["{key}"]'
        if key in META_KEYS:
            continue
        match = _KEY.match(key)
        field, sub, index = (match["field"], match["sub"], match["index"]) if match else (key, None, None)
        path: Path = (field, sub) if sub else (field,)
        valid = match is not None and (path in FIELDS or (field == "expected" and sub in _EXPECTED_KEYS))
        if not valid or (index is not None) != (field in LIST_FIELDS and key != field):
            fields = ", ".join(".".join(p) for p in FIELDS)
            issues.append(
                Issue.error(
                    "phenopacket.record_key",
                    message("pp_err_record_key", lang, key=repr(key)),
                    where,
                    expected=message("pp_expect_record_key", lang, fields=fields),
                )
            )
            continue
        try:
            value = json.loads(attributes[key], parse_constant=_refuse)
        except json.JSONDecodeError as exc:
            text = message("pp_err_record_json", lang, detail=str(exc), line=exc.lineno, column=exc.colno)
            issues.append(Issue.error("phenopacket.record_value", text, where))
            continue
        except _NotJsonNumber as exc:
            text = message("pp_err_record_constant", lang, name=exc.name)
            issues.append(Issue.error("phenopacket.record_value", text, where))
            continue
        if field == "expected":
            if sub is None:
                expected_set = True
                if value is not None and value != {}:
                    issues.append(
                        Issue.error("phenopacket.record_value", message("pp_err_record_expected", lang), where)
                    )
                elif value is None:
                    expected = None
                else:
                    expected = expected if expected is not None else {}
            else:
                expected = expected if expected is not None else {}
                expected[sub] = value
        elif index is not None:
            lists.setdefault((field,), {})[int(index)] = value
        elif field in LIST_FIELDS:
            if value != []:
                issues.append(Issue.error("phenopacket.record_value", message("pp_err_record_list", lang), where))
            lists.setdefault((field,), {})
        else:
            singles[path] = value
    for path, items in lists.items():
        if sorted(items) != list(range(len(items))):
            text = message("pp_err_record_numbering", lang, field=path[0], last=len(items) - 1)
            issues.append(Issue.error("phenopacket.record_key", text, location))
        singles[path] = [items[i] for i in sorted(items)]
    if expected_set or expected is not None:
        singles[("expected",)] = expected
    return singles, issues


class _NotJsonNumber(ValueError):
    """NaN, Infinity or -Infinity in a record value: Python's JSON reader accepts them, JSON does not."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"{name} is not a number JSON allows")


def _refuse(name: str) -> Any:
    raise _NotJsonNumber(name)


def native_digest(packet: Any) -> str:
    """SHA-256 of the packet's native elements (all but ``files`` and ``meta_data``), as
    canonical JSON: it changes when anyone edits what the record supplements."""
    copy = type(packet)()
    copy.CopyFrom(packet)
    copy.ClearField("files")
    copy.ClearField("meta_data")
    data = json_format().MessageToDict(copy)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
