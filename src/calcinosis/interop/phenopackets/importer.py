"""A Phenopacket (JSON or YAML) back into a case, with the report of every element.

Reading is strict in three layers, each naming the file and the element:

1. the document: size, duplicate keys, depth, NaN (the case reader's own rules,
   :mod:`calcinosis.case.document`);
2. the schema: ``json_format.ParseDict`` refuses unknown elements, wrong types and bad enum
   values; its message is turned into the element path and the closest known element names;
3. the case: the native elements and the calcinosis record become case data, which
   :func:`calcinosis.case.reader.parse_case` validates like any case file; its problems are
   reported at the packet element they came from (``measurements[2] (case labs[1].unit)``).

Missing schema fields that a case does not need (a resource, a label) are warnings of the
report, not errors. Errors, warnings and the report are written in ``lang`` ('en' or 'fr',
``messages.yaml``); protobuf's own (English) parse messages are classified into those texts,
never passed through.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calcinosis.case.model import Case
from calcinosis.errors import CaseValidationError
from calcinosis.i18n import message
from calcinosis.interop.phenopackets._coder import Coder
from calcinosis.interop.phenopackets._data import load_mapping
from calcinosis.interop.phenopackets._pb import json_format, pb
from calcinosis.interop.phenopackets._record import (
    DIGEST_KEY,
    NATIVE_FIELDS,
    RECORD_URI,
    decode,
    native_digest,
    set_path,
)
from calcinosis.interop.phenopackets.native import read_native
from calcinosis.interop.phenopackets.report import MappingEntry, MappingReport, MappingStatus
from calcinosis.interop.phenopackets.validate import check_packet
from calcinosis.issues import Issue, closest
from calcinosis.kb.codes import CodeTable
from calcinosis.kb.model import KnowledgeBase

__all__ = ["PhenopacketError", "PhenopacketImport", "import_phenopacket", "parse_phenopacket", "read_phenopacket"]


class PhenopacketError(CaseValidationError):
    """A Phenopacket cannot be read, or does not make a valid case (issues name the elements)."""


@dataclass(frozen=True)
class PhenopacketImport:
    """The case read from a packet, and the report of what became of each element."""

    case: Case
    report: MappingReport


def read_phenopacket(path: Path | str, kb: KnowledgeBase, *, codes: CodeTable, lang: str = "en") -> PhenopacketImport:
    """Read a Phenopacket file (``.json``, or ``.yaml``/``.yml``) into a case; errors and the
    mapping report in ``lang``."""
    from calcinosis.case.document import load_document, read_document_bytes

    p = Path(path)
    fmt = "yaml" if p.suffix.lower() in (".yaml", ".yml") else "json"
    data = load_document(read_document_bytes(p, lang=lang), source=str(p), fmt=fmt, lang=lang)
    return import_phenopacket(data, kb, codes=codes, source=str(p), lang=lang)


_JSON_TYPES = {dict: "object", list: "list", str: "text", bool: "boolean", int: "number", float: "number"}


def parse_phenopacket(data: Any, *, source: str = "<phenopacket>", lang: str = "en") -> Any:
    """The ``phenopackets.Phenopacket`` message of parsed JSON, or a located error (in ``lang``)."""
    if not isinstance(data, dict):
        kind = message(f"pp_json_{_JSON_TYPES.get(type(data), 'null')}", lang)
        raise PhenopacketError(message("pp_err_not_object", lang, source=source, type=kind), path=source)
    module = json_format(lang)
    try:
        return module.ParseDict(data, pb(lang).Phenopacket())
    except module.ParseError as exc:
        raise PhenopacketError(
            message("pp_err_invalid", lang, source=source),
            issues=[_schema_issue(str(exc), data, lang)],
            path=source,
            lang=lang,
        ) from None


def import_phenopacket(
    data: Any, kb: KnowledgeBase, *, codes: CodeTable, source: str = "<phenopacket>", lang: str = "en"
) -> PhenopacketImport:
    """A case from a parsed Phenopacket document (a dict from JSON or YAML).

    ``lang`` ('en' or 'fr') is the language of the errors and of the mapping report (terms
    named in its sentences by their French labels in French).

    Raises
    ------
    PhenopacketError
        The packet breaks the schema, lacks an element the case needs (the age, a feature's
        type...), or makes an invalid case (an implausible value, a unit that does not fit).
    """
    packet = parse_phenopacket(data, source=source, lang=lang)
    coder = Coder(kb, codes, load_mapping())
    report = MappingReport(source=source, lang=lang)
    report.warnings.extend(issue.render(lang) for issue in check_packet(packet, lang=lang))
    native = read_native(packet, coder, lang)
    if native.issues:
        raise PhenopacketError(
            message("pp_err_unreadable", lang, source=source), issues=native.issues, path=source, lang=lang
        )
    report.entries.extend(native.entries)
    report.warnings.extend(native.warnings)
    _apply_record(packet, native.data, native.origin, report)
    if packet.HasField("meta_data"):
        report.entries.append(_not_mapped("metaData", packet.meta_data.created_by, "pp_metadata", lang))
    return PhenopacketImport(case=_to_case(native.data, kb, native.origin, source, lang), report=report)


def _not_mapped(path: str, value: str, key: str, lang: str) -> MappingEntry:
    return MappingEntry(path=path, value=value, status=MappingStatus.NOT_MAPPED, reason=message(key, lang), code=key)


def _apply_record(packet: Any, data: dict[str, Any], origin: dict[str, str], report: MappingReport) -> None:
    """Take the fields of the calcinosis record (``files``), and report the other files."""
    lang = report.lang
    records = []
    for i, file in enumerate(packet.files):
        if file.uri == RECORD_URI:
            records.append(i)
        else:
            report.entries.append(_not_mapped(f"files[{i}]", file.uri, "pp_files", lang))
    if len(records) > 1:
        raise PhenopacketError(
            message("pp_err_records", lang, source=report.source, n=len(records), uri=RECORD_URI), path=report.source
        )
    if not records:
        return
    index = records[0]
    record = packet.files[index]
    location = f"files[{index}].fileAttributes"
    fields, issues = decode(dict(record.file_attributes), location, lang)
    if issues:
        raise PhenopacketError(
            message("pp_err_record", lang, source=report.source), issues=issues, path=report.source, lang=lang
        )
    intact = record.file_attributes.get(DIGEST_KEY) == native_digest(packet)
    state = "pp_record_intact" if intact else "pp_record_edited"
    report.entries.append(
        MappingEntry(
            path=f"files[{index}]",
            value=RECORD_URI,
            status=MappingStatus.CARRIED,
            to=message("pp_record", lang),
            reason=message(state, lang, n=len(fields)),
            code=state,
        )
    )
    if not intact:
        report.warnings.append(message("pp_warn_edited", lang, path=f"files[{index}]", key=DIGEST_KEY))
    for path, value in fields.items():
        key = ".".join(path)
        where = f'{location}["{key}"]'
        if path in NATIVE_FIELDS and not intact:
            report.entries.append(_not_mapped(where, _brief(value), "pp_superseded", lang))
            continue
        set_path(data, path, value)
        for stale in [k for k in origin if k == key or k.startswith((f"{key}[", f"{key}."))]:
            del origin[stale]
        if isinstance(value, list):
            origin.update({f"{key}[{k}]": f'{location}["{key}[{k}]"]' for k in range(len(value))})
        else:
            origin[key] = where
        why = "pp_record_inexact" if path in NATIVE_FIELDS else "pp_record_only"
        report.entries.append(
            MappingEntry(
                path=where,
                value=_brief(value),
                status=MappingStatus.CARRIED,
                to=key,
                reason=message(why, lang),
                code=why,
            )
        )


def _brief(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 100 else text[:99] + "…"


def _to_case(data: dict[str, Any], kb: KnowledgeBase, origin: dict[str, str], source: str, lang: str) -> Case:
    """Validate the case data like a case file; problems located at the packet's elements."""
    from calcinosis.case.reader import parse_case

    try:
        return parse_case(data, kb, source=source, lang=lang)
    except CaseValidationError as exc:
        if not exc.issues:
            raise PhenopacketError(str(exc), path=source) from None
        issues = [i.model_copy(update={"location": _relocate(i.location, origin, lang)}) for i in exc.issues]
        raise PhenopacketError(
            message("pp_err_not_case", lang, source=source), issues=issues, path=source, lang=lang
        ) from None


def _relocate(location: str, origin: dict[str, str], lang: str = "en") -> str:
    """``measurements[2] (case labs[1].unit)``: the packet element a case item came from."""
    best = ""
    for key in origin:
        if (location == key or location.startswith((f"{key}.", f"{key}["))) and len(key) > len(best):
            best = key
    inside = message("pp_case_location", lang, location=location)
    return f"{origin[best]} ({inside})" if best else inside


_LOCATION = re.compile(r' at "?Phenopacket((?:\.\w+|\[\d+\])*)"?')
_FAILED = re.compile(r"Failed to parse (\w+) field: ")


def _schema_issue(text: str, data: Any, lang: str = "en") -> Issue:
    """One located issue, in ``lang``, from protobuf's ParseError text.

    protobuf words its errors in English for programmers ("Couldn't parse float: ten"); they
    are sorted here into a few situations (unknown element, bad enum value, a value of the wrong
    kind...) and said from ``messages.yaml``, what was expected read from the schema itself.
    """
    found = _LOCATION.search(text)
    location = found.group(1).lstrip(".") if found else ""
    if not location:  # 'Failed to parse subject field: Failed to parse id field: ...' -> subject.id
        location = ".".join(_FAILED.findall(text))
    core = text
    while core.startswith("Failed to parse ") and ": " in core:
        core = core.split(": ", 1)[1]
    core = _LOCATION.sub("", core).split("\n")[0].strip().rstrip(".")

    def issue(key: str, expected: str = "", suggestions: list[str] | None = None, **values: object) -> Issue:
        text = message(key, lang, **values)
        return Issue.error("phenopacket.schema", text, location, expected=expected, suggestions=suggestions)

    enum = re.search(r"Invalid enum value (\S+) for enum type (\S+)", core)
    if enum is not None:
        names = _enum_names(enum.group(2))
        return issue(
            "pp_schema_enum",
            message("pp_one_of", lang, items=", ".join(names)) if names else "",
            closest(enum.group(1), names),
            value=repr(enum.group(1)),
            enum=enum.group(2).rsplit(".", 1)[-1],
        )
    unknown = re.search(r'has no field named "([^"]+)"', core)
    if unknown is not None:
        available = re.search(r"Available Fields\(except extensions\): \"\[(.*)\]\"", text)
        names = [_camel(n) for n in re.findall(r"'([^']+)'", available.group(1))] if available else []
        return issue(
            "pp_schema_unknown",
            message("pp_one_of", lang, items=", ".join(names)) if names else "",
            closest(unknown.group(1), names),
            name=repr(unknown.group(1)),
        )
    twice = re.search(r'should not have multiple "(\w+)" (oneof )?fields', core)
    if twice is not None and twice.group(2):
        return issue("pp_schema_oneof", items=_oneof_fields(location, twice.group(1)))
    if twice is not None:
        return issue("pp_schema_twice", name=twice.group(1))
    if "null is not allowed" in core:
        return issue("pp_schema_null")
    field, indexed = _field_at(location)
    if field is None:
        return issue("pp_schema_other", detail=core)
    given = _value_at(data, location)
    expected = _expected(field, indexed, given, lang)
    if given is _MISSING:
        return issue("pp_schema_invalid", expected)
    shown = json.dumps(given, ensure_ascii=False)
    return issue("pp_schema_value", expected, value=shown if len(shown) <= 60 else shown[:59] + "…")


_MISSING = object()


def _path_parts(location: str) -> list[tuple[str, int | None]]:
    """``measurements[0].value`` -> [("measurements", 0), ("value", None)]."""
    return [(name, int(index) if index else None) for name, index in re.findall(r"(\w+)(?:\[(\d+)\])?", location)]


def _field_at(location: str) -> tuple[Any, bool]:
    """The schema field at ``location`` (None if the path leaves the schema), and whether the
    path ends with an index (an item of a repeated field)."""
    descriptor = pb().Phenopacket.DESCRIPTOR
    field: Any = None
    indexed = False
    for name, index in _path_parts(location):
        if descriptor is None:
            return None, False
        field = next((f for f in descriptor.fields if name in (f.json_name, f.name)), None)
        if field is None:
            return None, False
        indexed = index is not None
        descriptor = field.message_type
    return field, indexed


def _oneof_fields(location: str, name: str) -> str:
    """The elements of the one-of ``name`` of the message at ``location`` (``name`` if unknown)."""
    field, _ = _field_at(location)
    descriptor = pb().Phenopacket.DESCRIPTOR if not location else getattr(field, "message_type", None)
    oneof = descriptor.oneofs_by_name.get(name) if descriptor is not None else None
    return ", ".join(f.json_name for f in oneof.fields) if oneof is not None else name


def _value_at(data: Any, location: str) -> Any:
    """The value the document gave at ``location`` (``_MISSING`` when the path cannot be followed)."""
    node = data
    for name, index in _path_parts(location):
        if not isinstance(node, dict) or name not in node:
            return _MISSING
        node = node[name]
        if index is not None:
            if not isinstance(node, list) or index >= len(node):
                return _MISSING
            node = node[index]
    return node


def _expected(field: Any, indexed: bool, given: Any, lang: str) -> str:
    """What the schema takes at ``field`` (an item of it when ``indexed``), said in ``lang``."""
    from google.protobuf.descriptor import FieldDescriptor  # type: ignore[import-untyped]

    message_type = field.message_type
    if message_type is not None and message_type.GetOptions().map_entry:
        return message("pp_expect_texts", lang)
    if field.is_repeated and not indexed:
        if not isinstance(given, list):
            return message("pp_expect_list", lang)
        return message("pp_expect_list_of", lang, item=_expected(field, True, None, lang))
    if message_type is not None:
        if message_type.full_name == "google.protobuf.Timestamp":
            return message("pp_expect_time", lang)
        return message("pp_expect_object", lang)
    kinds = {
        FieldDescriptor.CPPTYPE_BOOL: "pp_expect_bool",
        FieldDescriptor.CPPTYPE_STRING: "pp_expect_text",
        FieldDescriptor.CPPTYPE_DOUBLE: "pp_expect_number",
        FieldDescriptor.CPPTYPE_FLOAT: "pp_expect_number",
    }
    if field.cpp_type == FieldDescriptor.CPPTYPE_ENUM:
        return message("pp_one_of", lang, items=", ".join(v.name for v in field.enum_type.values))
    return message(kinds.get(field.cpp_type, "pp_expect_integer"), lang)


def _enum_names(full_name: str) -> list[str]:
    """The value names of a protobuf enum of the schema (empty if unknown)."""
    from google.protobuf import descriptor_pool  # type: ignore[import-untyped]

    try:
        return [v.name for v in descriptor_pool.Default().FindEnumTypeByName(full_name).values]
    except KeyError:
        return []


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
