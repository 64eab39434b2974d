"""JSON Schema of the case file, with every vocabulary list as an enum (the result object's is
``calcinosis.engine.results.result_json_schema``: the case layer knows nothing of the engine)."""

from __future__ import annotations

from typing import Any

from calcinosis.case.model import Case
from calcinosis.kb.model import KnowledgeBase

__all__ = ["case_json_schema"]

# (definition name, property) -> vocabulary list of its items
_VOCAB_FIELDS = {
    ("Case", "history"): "conditions",
    ("Case", "exposures"): "exposures",
    ("Case", "findings"): "findings",
    ("Case", "sites"): "sites",
    ("Imaging", "sites"): "sites",
    ("Imaging", "tissues"): "tissues",
    ("Imaging", "patterns"): "patterns",
}
_VOCAB_SCALARS = {
    ("Patient", "sex"): "sexes",
    ("LabResult", "test"): "labs",
    ("Antibody", "name"): "antibodies",
    ("Genetic", "gene"): "genetics",
    ("Imaging", "modality"): "modalities",
}


def case_json_schema(kb: KnowledgeBase) -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a case file, in canonical terms.

    The reader also accepts aliases and French labels; the schema states the canonical form.
    """
    schema = Case.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "calcinosis case, format version 1"
    defs = schema.get("$defs", {})
    vocab = kb.vocabulary.lists

    def node(name: str) -> dict[str, Any]:
        return schema if name == "Case" else defs[name]

    for (model, prop), list_name in _VOCAB_FIELDS.items():
        node(model)["properties"][prop]["items"] = {
            "type": "string",
            "enum": sorted(vocab[list_name]),
        }
    for (model, prop), list_name in _VOCAB_SCALARS.items():
        node(model)["properties"][prop] = {"type": "string", "enum": sorted(vocab[list_name])}
    terms = sorted({*vocab["findings"], *vocab["conditions"], *vocab["exposures"]})
    schema["properties"]["absent"]["items"] = {"type": "string", "enum": terms}
    dist = defs["Imaging"]["properties"]["distribution"]
    dist["anyOf"] = [{"type": "string", "enum": sorted(vocab["distributions"])}, {"type": "null"}]
    return schema
