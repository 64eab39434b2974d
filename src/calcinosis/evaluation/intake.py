"""How well notes become cases: the extracted case of each note against its hand-made gold case.

A note set is a folder of ``<id>.txt`` notes, each with its gold case ``<id>.yaml`` (case format
v1, coded by hand from the note; ``tests/data/notes/``). Each case is reduced to a set of items
per field, and precision and recall are counted per field, per language and over all fields:

- ``history``, ``exposures``, ``findings``, ``absent``, ``sites``: one item per term;
- ``labs``: one item per test, with its value and unit when it has one (a value counts only
  with the same number and the same unit, spelling aside) or its interpretation;
- ``antibodies``, ``genetics``: name and result;
- ``imaging``: one item per modality, and per (modality, site / tissue / pattern /
  distribution) of each study;
- ``patient``: age (within 0.1 year) and sex; ``duration_months`` (within 10 %).

Three more figures: **negation accuracy** (of the gold items the extractor found in either
polarity, present ones in history, exposures or findings and absent ones, the share it placed
with the right polarity), **lab values with the right unit** (of the gold lab values, the share
extracted with the same value and unit), and **same top diagnosis** (the engine on the
extracted case and on the gold case give the same leading diagnosis), with, where the gold
case carries the published diagnosis (``expected``), how often each of the two leading
diagnoses is that diagnosis: the end-to-end accuracy from the note, beside the engine's own
accuracy on the gold case, so that the cost of the extraction to the diagnosis is read
directly. When a note states no
age, the extracted case has none and the gold age is lent to it for the diagnosis only (counted
and reported): the age is a required field, and the question is what the note's words give.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from calcinosis.case.labs import normalise_unit
from calcinosis.case.model import Case
from calcinosis.intake.result import FIELDS
from calcinosis.kb.model import KnowledgeBase

__all__ = [
    "FIELDS",
    "FieldScore",
    "IntakeEvaluation",
    "LabPassageEvaluation",
    "LabPassageResult",
    "NoteResult",
    "evaluate_lab_passages",
    "evaluate_notes",
    "items_of",
    "lab_entry_item",
    "lab_passages",
    "note_half",
]

_POLAR = ("history", "exposures", "findings")


def _lab_tuple(test: str, value: Any, unit: str, qualifier: str | None, interpretation: Any) -> tuple[Any, ...]:
    """A lab result as a comparable item: the test with its number, unit (spelling aside) and
    qualifier, or the test and its interpretation when no number was given."""
    if value is not None:
        return (test, round(float(value), 6), normalise_unit(unit), qualifier or "")
    return (test, "interpretation", interpretation)


def _lab_item(lab: Any) -> tuple[Any, ...]:
    return _lab_tuple(lab.test, lab.value, lab.unit or "", lab.qualifier, lab.interpretation)


def items_of(case: Case) -> dict[str, set[tuple[Any, ...]]]:
    """The case as sets of comparable items, per field."""
    out: dict[str, set[tuple[Any, ...]]] = {name: set() for name in FIELDS}
    out["patient"] = {("age", round(case.patient.age, 1)), ("sex", case.patient.sex)}
    for name in ("history", "exposures", "findings", "absent", "sites"):
        out[name] = {(t,) for t in getattr(case, name)}
    if case.duration_months is not None:
        out["duration_months"] = {("months", float(case.duration_months))}
    out["labs"] = {_lab_item(lab) for lab in case.labs}
    out["antibodies"] = {(a.name, a.result) for a in case.antibodies}
    out["genetics"] = {(g.gene, g.result) for g in case.genetics}
    for study in case.imaging:
        m = study.modality
        out["imaging"].add((m,))
        for key in ("sites", "tissues", "patterns"):
            out["imaging"].update((m, key, t) for t in getattr(study, key))
        if study.distribution is not None:
            out["imaging"].add((m, "distribution", study.distribution))
    return out


def _matches(field_name: str, found: tuple[Any, ...], gold: tuple[Any, ...]) -> bool:
    if field_name == "patient" and found[0] == gold[0] == "age":
        return bool(abs(found[1] - gold[1]) <= 0.1)
    if field_name == "duration_months":
        return bool(abs(found[1] - gold[1]) <= 0.1 * max(gold[1], 1.0))
    return found == gold


def _count(field_name: str, found: set[tuple[Any, ...]], gold: set[tuple[Any, ...]]) -> tuple[int, int, int]:
    """(true positives, found, gold) with the field's matching rule, one gold item per match."""
    left = list(gold)
    tp = 0
    for item in sorted(found, key=repr):
        hit = next((g for g in left if _matches(field_name, item, g)), None)
        if hit is not None:
            left.remove(hit)
            tp += 1
    return tp, len(found), len(gold)


@dataclass
class FieldScore:
    """Counts of one field (or of all fields): precision and recall from them."""

    tp: int = 0
    found: int = 0
    gold: int = 0

    def add(self, tp: int, found: int, gold: int) -> None:
        self.tp, self.found, self.gold = self.tp + tp, self.found + found, self.gold + gold

    @property
    def precision(self) -> float | None:
        return self.tp / self.found if self.found else None

    @property
    def recall(self) -> float | None:
        return self.tp / self.gold if self.gold else None


@dataclass
class NoteResult:
    """One note: its language, the items missed and extra, and the diagnosis agreement."""

    id: str
    lang: str
    missed: dict[str, list[str]]
    extra: dict[str, list[str]]
    same_top: bool | None
    top_gold: str | None
    top_extracted: str | None
    age_lent: bool
    error: str = ""
    expected: str | None = None  # the published diagnosis, when the gold case gives it


@dataclass
class IntakeEvaluation:
    """The figures of a note set (see the module docstring)."""

    notes: list[NoteResult] = field(default_factory=list)
    by_field: dict[str, FieldScore] = field(default_factory=dict)
    by_lang: dict[str, FieldScore] = field(default_factory=dict)
    overall: FieldScore = field(default_factory=FieldScore)
    negation_right: int = 0
    negation_total: int = 0
    lab_values_right: int = 0
    lab_values_total: int = 0

    @property
    def negation_accuracy(self) -> float | None:
        return self.negation_right / self.negation_total if self.negation_total else None

    @property
    def lab_unit_accuracy(self) -> float | None:
        return self.lab_values_right / self.lab_values_total if self.lab_values_total else None

    @property
    def same_top_rate(self) -> float | None:
        judged = [n.same_top for n in self.notes if n.same_top is not None]
        return sum(judged) / len(judged) if judged else None

    def expected_top(self) -> tuple[int, int, int]:
        """Of the notes whose gold case gives the published diagnosis and were diagnosed: how
        many there are, how many the compared case (extracted, or a second reader's) puts first,
        how many the gold case does."""
        judged = [n for n in self.notes if n.expected is not None and n.same_top is not None]
        return (
            len(judged),
            sum(n.top_extracted == n.expected for n in judged),
            sum(n.top_gold == n.expected for n in judged),
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""

        def score(s: FieldScore) -> dict[str, Any]:
            return {"tp": s.tp, "found": s.found, "gold": s.gold, "precision": s.precision, "recall": s.recall}

        return {
            "notes": len(self.notes),
            "overall": score(self.overall),
            "by_field": {k: score(v) for k, v in self.by_field.items()},
            "by_lang": {k: score(v) for k, v in self.by_lang.items()},
            "negation_accuracy": self.negation_accuracy,
            "negation": [self.negation_right, self.negation_total],
            "lab_values_with_unit": [self.lab_values_right, self.lab_values_total],
            "same_top_diagnosis": self.same_top_rate,
            # from_case: the case compared with the gold (the extracted one, or the second reader's)
            "expected_top": dict(zip(("notes", "from_case", "from_gold"), self.expected_top(), strict=True)),
            "per_note": [n.__dict__ for n in self.notes],
        }


def _show(items: Iterable[tuple[Any, ...]]) -> list[str]:
    return sorted(":".join(map(str, i)) for i in items)


def note_half(stem: str) -> str:
    """``dev`` or ``held-out``: the note set's split (``<lang>-NN-...`` or ``<lang>-<writer>-NN-...``:
    the first number in the name, odd NN dev, even held-out).

    The extractor's general failure modes may be looked for on the dev half only; the held-out
    half is measured, not read, so that its figures say how the extractor does on unseen notes."""
    number = next((part for part in stem.split("-")[1:] if part.isdigit()), "")
    return "dev" if number and int(number) % 2 == 1 else "held-out"


def evaluate_notes(
    folder: Path,
    kb: KnowledgeBase,
    *,
    diagnose_cases: bool = True,
    half: str | None = None,
    reader: Path | None = None,
) -> IntakeEvaluation:
    """Extract every note of ``folder`` (or of one ``half``: dev, held-out) and compare it with its gold case.

    With ``reader``, a folder of cases another reader coded from the same notes (``<id>.yaml``),
    those cases are compared with the gold instead of the extraction: the agreement of two
    readers, the ceiling an extractor can be held to."""
    from calcinosis.case.reader import parse_case, read_case
    from calcinosis.errors import CaseValidationError
    from calcinosis.intake import IntakeError, extract_case

    result = IntakeEvaluation(by_field={name: FieldScore() for name in FIELDS})
    for note in sorted(folder.glob("*.txt")):
        gold_path = note.with_suffix(".yaml")
        if not gold_path.exists() or (half is not None and note_half(note.stem) != half):
            continue
        gold = read_case(gold_path, kb)
        text = note.read_text(encoding="utf-8")
        try:
            if reader is not None:
                found = read_case(reader / gold_path.name, kb)
                mine, theirs = items_of(found), items_of(gold)
                _score_note(
                    result, note.stem, _language(note.stem), found, gold, mine, theirs, False, diagnose_cases, kb
                )
                continue
            extraction = extract_case(text, kb)
            data = dict(extraction.case)
            patient = dict(data.get("patient") or {})
            age_lent = "age" not in patient
            if age_lent:
                patient["age"] = gold.patient.age
            patient.setdefault("sex", "unknown")
            data["patient"] = patient
            found = parse_case(data, kb, source=note.name)
            lang = extraction.lang
        except (IntakeError, CaseValidationError) as exc:
            expected = gold.expected.diagnosis if gold.expected else None
            top_gold = _top_diagnosis(gold, kb) if diagnose_cases else None
            error = str(exc).splitlines()[0]
            result.notes.append(NoteResult(note.stem, "?", {}, {}, False, top_gold, None, False, error, expected))
            for name, items in items_of(gold).items():
                result.by_field[name].add(0, 0, len(items))
                result.overall.add(0, 0, len(items))
            continue
        mine, theirs = items_of(found), items_of(gold)
        if age_lent:  # the lent age is not an extracted item
            mine["patient"] = {i for i in mine["patient"] if i[0] != "age"}
        _score_note(result, note.stem, lang, found, gold, mine, theirs, age_lent, diagnose_cases, kb)
    return result


def _top_diagnosis(case: Case, kb: KnowledgeBase) -> str:
    """The engine's leading diagnosis for ``case``."""
    from calcinosis.engine.diagnose import diagnose

    return diagnose(case, kb).differential[0].diagnosis


def _language(stem: str) -> str:
    """A note's language from its name (``fr-...``, ``en-...``), for another reader's cases."""
    return stem.split("-", 1)[0] if stem[:3] in ("fr-", "en-") else "?"


def _score_note(
    result: IntakeEvaluation,
    note_id: str,
    lang: str,
    found: Case,
    gold: Case,
    mine: dict[str, set[tuple[Any, ...]]],
    theirs: dict[str, set[tuple[Any, ...]]],
    age_lent: bool,
    diagnose_cases: bool,
    kb: KnowledgeBase,
) -> None:
    """Count one note's items, polarity, lab values and top diagnosis into ``result``."""
    lang_score = result.by_lang.setdefault(lang, FieldScore())
    missed: dict[str, list[str]] = {}
    extra: dict[str, list[str]] = {}
    for name in FIELDS:
        counts = _count(name, mine[name], theirs[name])
        result.by_field[name].add(*counts)
        result.overall.add(*counts)
        lang_score.add(*counts)
        if mine[name] != theirs[name]:
            missed[name] = _show(theirs[name] - mine[name])
            extra[name] = _show(mine[name] - theirs[name])
    _negation(result, mine, theirs)
    for lab in gold.labs:
        if lab.value is not None:
            result.lab_values_total += 1
            result.lab_values_right += _lab_item(lab) in mine["labs"]
    top_gold = top_found = None
    same: bool | None = None
    if diagnose_cases:
        top_gold, top_found = _top_diagnosis(gold, kb), _top_diagnosis(found, kb)
        same = top_gold == top_found
    expected = gold.expected.diagnosis if gold.expected else None
    result.notes.append(NoteResult(note_id, lang, missed, extra, same, top_gold, top_found, age_lent, "", expected))


def _negation(result: IntakeEvaluation, mine: dict[str, set[Any]], theirs: dict[str, set[Any]]) -> None:
    """Polarity of the gold items the extractor found in either polarity."""
    found_present = set().union(*(mine[f] for f in _POLAR))
    for item in set().union(*(theirs[f] for f in _POLAR)):
        if item in found_present or item in mine["absent"]:
            result.negation_total += 1
            result.negation_right += item in found_present
    for item in theirs["absent"]:
        if item in mine["absent"] or item in found_present:
            result.negation_total += 1
            result.negation_right += item in mine["absent"]


# ---------------------------------------------------------------- lab passages (issue 18)
# A second, narrower measure: published sentences that give lab results (tests/data/lab-sentences/,
# one YAML file per language, each passage with its gold `labs`), read by the extractor as
# notes. Only the lab field is scored, so a failure points at how values, units and result
# words are read, not at the rest of a case.


@dataclass
class LabPassageResult:
    """One passage: its language, half, and the gold lab items missed and the extra ones found."""

    id: str
    lang: str
    half: str
    missed: list[str]
    extra: list[str]
    error: str = ""


@dataclass
class LabPassageEvaluation:
    """Lab precision, recall and values with the right unit, per group (``en``, ``fr``, ``dev``,
    ``held-out``, ``en/dev``... and ``all``)."""

    passages: list[LabPassageResult] = field(default_factory=list)
    scores: dict[str, FieldScore] = field(default_factory=dict)
    values: dict[str, list[int]] = field(default_factory=dict)

    def add(self, groups: Iterable[str], tp: int, found: int, gold: int, right: int, total: int) -> None:
        for g in groups:
            self.scores.setdefault(g, FieldScore()).add(tp, found, gold)
            counts = self.values.setdefault(g, [0, 0])
            counts[0] += right
            counts[1] += total

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {
            "groups": {
                g: {
                    "tp": s.tp,
                    "found": s.found,
                    "gold": s.gold,
                    "precision": s.precision,
                    "recall": s.recall,
                    "values_with_unit": self.values.get(g, [0, 0]),
                }
                for g, s in sorted(self.scores.items())
            },
            "per_passage": [p.__dict__ for p in self.passages],
        }


def lab_passages(folder: Path) -> list[dict[str, Any]]:
    """The passages of every ``*.yaml`` of ``folder`` (``passages:`` lists), in file order."""
    import yaml

    out: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        out.extend(data.get("passages") or [])
    return out


def lab_entry_item(kb: KnowledgeBase, lab: dict[str, Any]) -> tuple[Any, ...]:
    """A lab entry (a case's dict) as a comparable item: the unit in the test's canonical spelling,
    so that "umol/l" and "µmol/L" are one unit, as in :func:`items_of`."""
    from calcinosis.case.labs import resolve_unit

    test, unit = lab["test"], str(lab.get("unit") or "")
    canonical = (resolve_unit(kb, test, unit) or unit) if lab.get("value") is not None else unit
    return _lab_tuple(test, lab.get("value"), canonical, lab.get("qualifier"), lab.get("interpretation"))


def evaluate_lab_passages(folder: Path, kb: KnowledgeBase, *, half: str | None = None) -> LabPassageEvaluation:
    """Read every passage of ``folder`` as a note (in its own language) and score its labs.

    A lab item counts when the test, the number, the unit (spelling aside) and the qualifier are
    the gold's, or the test and the interpretation; a value with the wrong unit is both a miss
    and an extra. ``half`` (dev, held-out) keeps the passages of one half (odd / even number)."""
    from calcinosis.intake import IntakeError, extract_case

    result = LabPassageEvaluation()
    for passage in lab_passages(folder):
        pid, lang = str(passage["id"]), str(passage["lang"])
        part = note_half(pid)
        if half is not None and part != half:
            continue
        gold = {lab_entry_item(kb, lab) for lab in passage.get("labs") or []}
        error = ""
        try:
            labs = extract_case(passage["text"], kb, lang=lang).case.get("labs", [])
        except IntakeError as exc:  # a passage the reader refuses: every gold item is missed
            labs, error = [], str(exc).splitlines()[0]
        found = {lab_entry_item(kb, lab) for lab in labs}
        valued = {g for g in gold if g[1] != "interpretation"}
        result.add(
            ("all", lang, part, f"{lang}/{part}"),
            len(found & gold),
            len(found),
            len(gold),
            len(valued & found),
            len(valued),
        )
        result.passages.append(LabPassageResult(pid, lang, part, _show(gold - found), _show(found - gold), error))
    return result
