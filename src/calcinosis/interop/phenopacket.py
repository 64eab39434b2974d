"""GA4GH Phenopackets v2: export a case, import a packet back into a case.

>>> from calcinosis.interop.phenopacket import export_case, packet_json, read_phenopacket
>>> packet = export_case(case, kb, codes=codes)                 # doctest: +SKIP
>>> text = packet_json(packet)                                  # doctest: +SKIP
>>> result = read_phenopacket("packet.json", kb, codes=codes)   # doctest: +SKIP
>>> result.case == case, result.report.summary()                # doctest: +SKIP
>>> read_phenopacket("packet.json", kb, codes=codes, lang="fr").report.render()  # doctest: +SKIP

Every function takes ``lang`` ('en', the default, or 'fr'): the language of its errors, of the
import's warnings and of the mapping report, whose entries keep the ``messages.yaml`` key of
their reason (``code``) whatever the language. The packet itself is the same in both.

The mapping, element by element, the calcinosis record that keeps a round trip exact, and the
mapping report are described in docs/interop.md (section Phenopackets) and in the modules of
:mod:`calcinosis.interop.phenopackets`. Needs the ``interop`` extra (the ``phenopackets``
package); without it every call raises
:class:`~calcinosis.interop.phenopackets._pb.PhenopacketsUnavailableError` saying how to
install it.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from calcinosis.case.model import Case
from calcinosis.interop.phenopackets._pb import PhenopacketsUnavailableError
from calcinosis.interop.phenopackets.export import ExportError, escape_unsafe, export_case, packet_json
from calcinosis.interop.phenopackets.importer import (
    PhenopacketError,
    PhenopacketImport,
    import_phenopacket,
    parse_phenopacket,
    read_phenopacket,
)
from calcinosis.interop.phenopackets.report import MappingEntry, MappingReport, MappingStatus
from calcinosis.interop.phenopackets.validate import check_packet

__all__ = [
    "ExportError",
    "MappingEntry",
    "MappingReport",
    "MappingStatus",
    "PhenopacketError",
    "PhenopacketImport",
    "PhenopacketsUnavailableError",
    "case_text",
    "check_packet",
    "export_case",
    "import_phenopacket",
    "packet_json",
    "parse_phenopacket",
    "read_phenopacket",
]


def case_text(case: Case, *, fmt: str = "yaml", header: str = "") -> str:
    """A case as a case file (YAML, or JSON with ``fmt="json"``) that reads back the same.

    Unset items are left out. The YAML is checked by reading it back with the strict case
    reader (YAML 1.2 scalars): should a text value be read otherwise (``08`` is refused as a
    YAML 1.1 octal) or hold a control or bidirectional character, the case is written as JSON
    (also valid YAML) with such characters escaped.
    """
    from calcinosis.case.document import load_document
    from calcinosis.errors import CaseValidationError

    data: dict[str, Any] = case.model_dump(mode="json", exclude_defaults=True)
    as_json = escape_unsafe(json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False)) + "\n"
    if fmt == "json":
        return as_json
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
    try:
        same = escape_unsafe(text) == text and load_document(text.encode("utf-8"), source="<case>", fmt="yaml") == data
    except CaseValidationError:
        same = False
    comment = "".join(f"# {line}\n" for line in header.splitlines())
    return comment + (text if same else as_json)
