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
report, not errors.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calcinosis.case.model import Case
from calcinosis.errors import CaseValidationError
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


def read_phenopacket(path: Path | str, kb: KnowledgeBase, *, codes: CodeTable) -> PhenopacketImport:
    """Read a Phenopacket file (``.json``, or ``.yaml``/``.yml``) into a case."""
    from calcinosis.case.document import load_document, read_document_bytes

    p = Path(path)
    fmt = "yaml" if p.suffix.lower() in (".yaml", ".yml") else "json"
    data = load_document(read_document_bytes(p), source=str(p), fmt=fmt)
    return import_phenopacket(data, kb, codes=codes, source=str(p))


def parse_phenopacket(data: Any, *, source: str = "<phenopacket>") -> Any:
    """The ``phenopackets.Phenopacket`` message of parsed JSON, or a located error."""
    if not isinstance(data, dict):
        raise PhenopacketError(
            f"{source}: a Phenopacket is a JSON object (a mapping of elements), not a {type(data).__name__}",
            path=source,
        )
    module = json_format()
    try:
        return module.ParseDict(data, pb().Phenopacket())
    except module.ParseError as exc:
        raise PhenopacketError(
            f"{source}: not a valid GA4GH Phenopacket v2", issues=[_schema_issue(str(exc))], path=source
        ) from None


def import_phenopacket(
    data: Any, kb: KnowledgeBase, *, codes: CodeTable, source: str = "<phenopacket>"
) -> PhenopacketImport:
    """A case from a parsed Phenopacket document (a dict from JSON or YAML).

    Raises
    ------
    PhenopacketError
        The packet breaks the schema, lacks an element the case needs (the age, a feature's
        type...), or makes an invalid case (an implausible value, a unit that does not fit).
    """
    packet = parse_phenopacket(data, source=source)
    coder = Coder(kb, codes, load_mapping())
    report = MappingReport(source=source)
    report.warnings.extend(issue.render() for issue in check_packet(packet))
    native = read_native(packet, coder)
    if native.issues:
        raise PhenopacketError(f"{source}: cannot be read as a case", issues=native.issues, path=source)
    report.entries.extend(native.entries)
    report.warnings.extend(native.warnings)
    _apply_record(packet, native.data, native.origin, report)
    if packet.HasField("meta_data"):
        report.entries.append(
            MappingEntry(
                path="metaData",
                value=packet.meta_data.created_by,
                status=MappingStatus.NOT_MAPPED,
                reason="describes the packet (creator, ontologies used), not the patient",
            )
        )
    return PhenopacketImport(case=_to_case(native.data, kb, native.origin, source), report=report)


def _apply_record(packet: Any, data: dict[str, Any], origin: dict[str, str], report: MappingReport) -> None:
    """Take the fields of the calcinosis record (``files``), and report the other files."""
    records = []
    for i, file in enumerate(packet.files):
        if file.uri == RECORD_URI:
            records.append(i)
        else:
            report.entries.append(
                MappingEntry(
                    path=f"files[{i}]",
                    value=file.uri,
                    status=MappingStatus.NOT_MAPPED,
                    reason="files have no place in case format 1",
                )
            )
    if len(records) > 1:
        raise PhenopacketError(
            f"{report.source}: {len(records)} calcinosis records (files with uri {RECORD_URI}); a packet holds one",
            path=report.source,
        )
    if not records:
        return
    index = records[0]
    record = packet.files[index]
    location = f"files[{index}].fileAttributes"
    fields, issues = decode(dict(record.file_attributes), location)
    if issues:
        raise PhenopacketError(
            f"{report.source}: the calcinosis record cannot be read", issues=issues, path=report.source
        )
    intact = record.file_attributes.get(DIGEST_KEY) == native_digest(packet)
    report.entries.append(
        MappingEntry(
            path=f"files[{index}]",
            value=RECORD_URI,
            status=MappingStatus.CARRIED,
            to="the calcinosis record",
            reason=f"{len(fields)} fields; native elements {'unchanged' if intact else 'edited'} since export",
        )
    )
    if not intact:
        report.warnings.append(
            f"files[{index}]: the packet was edited after calcinosis exported it ({DIGEST_KEY} differs): the native "
            "elements were read instead of the record's copy of them"
        )
    for path, value in fields.items():
        key = ".".join(path)
        where = f'{location}["{key}"]'
        if path in NATIVE_FIELDS and not intact:
            report.entries.append(
                MappingEntry(
                    path=where,
                    value=_brief(value),
                    status=MappingStatus.NOT_MAPPED,
                    reason="superseded: the native elements, edited after export, were read instead",
                )
            )
            continue
        set_path(data, path, value)
        for stale in [k for k in origin if k == key or k.startswith((f"{key}[", f"{key}."))]:
            del origin[stale]
        if isinstance(value, list):
            origin.update({f"{key}[{k}]": f'{location}["{key}[{k}]"]' for k in range(len(value))})
        else:
            origin[key] = where
        why = (
            "the native elements do not say it exactly (a qualifier, an order, a precision, a code shared by several terms)"
            if path in NATIVE_FIELDS
            else "no native Phenopacket element holds it"
        )
        report.entries.append(
            MappingEntry(path=where, value=_brief(value), status=MappingStatus.CARRIED, to=key, reason=why)
        )


def _brief(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 100 else text[:99] + "…"


def _to_case(data: dict[str, Any], kb: KnowledgeBase, origin: dict[str, str], source: str) -> Case:
    """Validate the case data like a case file; problems located at the packet's elements."""
    from calcinosis.case.reader import parse_case

    try:
        return parse_case(data, kb, source=source)
    except CaseValidationError as exc:
        if not exc.issues:
            raise PhenopacketError(str(exc), path=source) from None
        issues = [i.model_copy(update={"location": _relocate(i.location, origin)}) for i in exc.issues]
        raise PhenopacketError(f"{source}: the packet does not make a valid case", issues=issues, path=source) from None


def _relocate(location: str, origin: dict[str, str]) -> str:
    """``measurements[2] (case labs[1].unit)``: the packet element a case item came from."""
    best = ""
    for key in origin:
        if (location == key or location.startswith((f"{key}.", f"{key}["))) and len(key) > len(best):
            best = key
    return f"{origin[best]} (case {location})" if best else f"case {location}"


_LOCATION = re.compile(r' at "?Phenopacket((?:\.\w+|\[\d+\])*)"?')


def _schema_issue(text: str) -> Issue:
    """One located issue from protobuf's ParseError text."""
    found = _LOCATION.search(text)
    location = found.group(1).lstrip(".") if found else ""
    first = re.match(r"Failed to parse (\w+) field", text)
    if not location and first:
        location = first.group(1)
    core = text
    while core.startswith("Failed to parse ") and ": " in core:
        core = core.split(": ", 1)[1]
    core = _LOCATION.sub("", core).split("\n")[0].strip().rstrip(".")
    unknown = re.search(r'has no field named "([^"]+)"', core)
    enum = re.search(r"Invalid enum value (\S+) for enum type (\S+)", core)
    if enum is not None:
        names = _enum_names(enum.group(2))
        return Issue.error(
            "phenopacket.schema",
            f"{enum.group(1)!r} is not a value of {enum.group(2).rsplit('.', 1)[-1]}",
            location,
            expected=("one of " + ", ".join(names)) if names else "",
            suggestions=closest(enum.group(1), names),
        )
    if unknown is None:
        expected = "an RFC 3339 time, e.g. 2021-05-14T10:35:00Z" if "timestamp" in text else ""
        return Issue.error("phenopacket.schema", core, location, expected=expected)
    available = re.search(r"Available Fields\(except extensions\): \"\[(.*)\]\"", text)
    names = [_camel(n) for n in re.findall(r"'([^']+)'", available.group(1))] if available else []
    return Issue.error(
        "phenopacket.schema",
        f"unknown element {unknown.group(1)!r}",
        location,
        expected=("one of " + ", ".join(names)) if names else "",
        suggestions=closest(unknown.group(1), names),
    )


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
