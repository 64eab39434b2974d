"""Put the pieces together: chunks → mentions → context → items → a valid case.

Placement rules (docs/intake.md):

- a condition goes to ``history``, an exposure to ``exposures``, a finding to ``findings``
  (the vocabulary list the term belongs to); negated, any of them goes to ``absent``;
- historical ("antécédent de fracture", "history of stroke") is still a fact of the case: a
  past condition is history, a past exposure an exposure, a past finding a finding;
- hypothetical ("suspicion de", "à éliminer", "rule out") and family ("sa mère", "his
  brother") mentions are not placed, and are listed with their cue; calcinosis said of a
  relative is the finding ``family_history_similar``;
- sites go to the imaging study of their sentence, or to the case's clinical ``sites`` when
  the sentence is about the lesions (a finding, a nodule, a calcification);
- the case is checked with :func:`calcinosis.case.reader.parse_case`: an item the reader
  refuses (an implausible value) is moved to the dropped items with the reader's message.

Each field has its reader, a mixin of :class:`~calcinosis.intake._reader.Reader` (the shared
state and helpers): ``_labs_reader`` (labs, antibodies, genes), ``_imaging_reader`` (studies),
``_concepts_reader`` (conditions, exposures, findings, sites), ``_patient_reader`` (age, sex,
duration, what was not understood). This module runs them in order and builds the case.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from calcinosis.intake._concepts_reader import ConceptReader
from calcinosis.intake._imaging_reader import ImagingReader
from calcinosis.intake._labs_reader import LabReader
from calcinosis.intake._patient_reader import PatientReader
from calcinosis.intake._reader import (
    _Mention,
    _sentence_of,
)
from calcinosis.intake.context import Analysis
from calcinosis.intake.language import IntakeError, detect_language, lexicon_error
from calcinosis.intake.lexicon import (
    IntakeDataError,
    Lexicon,
    on_intake_change,
    use_intake_of,
)
from calcinosis.intake.result import Extraction
from calcinosis.kb.model import KnowledgeBase

__all__ = ["chunks", "extract"]

CHUNK_CHARS = 20_000
_MAX_LABS = 1000  # the case reader's list limit (case/document.py LIMITS)
_LEXICONS: dict[int, tuple[object, Lexicon]] = {}
on_intake_change(_LEXICONS.clear)


def _lexicon(kb: KnowledgeBase) -> Lexicon:
    held = _LEXICONS.get(id(kb))
    if held is not None and held[0] is kb.vocabulary:
        return held[1]
    lex = Lexicon.build(kb.vocabulary)
    _LEXICONS[id(kb)] = (kb.vocabulary, lex)
    return lex


def chunks(text: str, size: int = CHUNK_CHARS) -> Iterator[tuple[int, str]]:
    """Pieces of at most about ``size`` characters, cut at paragraph, then line, then space."""
    start = 0
    n = len(text)
    while start < n:
        end = min(n, start + size)
        if end < n:
            for sep in ("\n\n", "\n", ". ", " "):
                cut = text.rfind(sep, start + size // 2, end)
                if cut != -1:
                    end = cut + len(sep)
                    break
        yield start, text[start:end]
        start = end


def _engine(lang: str) -> Any:
    import importlib

    try:
        engine = importlib.import_module("calcinosis.intake.french" if lang == "fr" else "calcinosis.intake.english")
        engine.pipeline()
    except ImportError as exc:
        raise IntakeError("intake_missing_extra", detail=str(exc)) from None
    return engine


def extract(text: str, kb: KnowledgeBase, *, lang: str | None = None, reasons: str | None = None) -> Extraction:
    """See :func:`calcinosis.intake.extract_case`."""
    try:
        use_intake_of(kb.root)
    except IntakeDataError as exc:
        raise lexicon_error(exc) from None
    guess = detect_language(text, given=lang)
    language = guess.lang
    if reasons is not None and reasons not in ("fr", "en"):
        raise IntakeError("intake_bad_lang", lang=reasons)
    engine = _engine(language)
    lex = _lexicon(kb)
    mentions: list[_Mention] = []
    sentences: list[tuple[int, int]] = []
    for offset, piece in chunks(text):
        found = list(lex.find(piece, language, offset=offset))
        analysis: Analysis = engine.analyse(
            piece,
            [(m.start, m.end) for m in found],
            offset=offset,
            kinds=[frozenset(t.list_name for t in m.targets) for m in found],
        )
        sentences.extend(analysis.sentences)
        for m, ctx in zip(found, analysis.contexts, strict=True):
            mentions.append(_Mention(m, ctx, _sentence_of(analysis.sentences, m.start)))
    b = _Builder(text, kb, language, mentions, sentences, lexicon=lex, ui=reasons or language)
    b.labs()
    b.antibodies_and_genes()
    b.imaging()
    b.concepts()
    b.refine_swellings()
    b.settle_imaging()
    b.settle_pain_sites()  # after the studies' sites: a pain's place is a lesion site where deposits are
    b.local_only()  # after the lesions' sites are known
    b.patient()
    b.temperature()  # after concepts(): a fever said in words wins
    b.duration()  # after patient(): an age at onset needs the patient's age
    b.settle_conflicts()  # after every reader: a term said both present and absent
    b.unread_values()  # after every reader: a number another reader placed is not listed
    b.not_understood()
    case, missing = b.case()
    return Extraction(
        case=case,
        items=sorted(b.items, key=lambda i: (i.start, i.field)),
        dropped=sorted(b.dropped, key=lambda i: (i.start, i.field)),
        not_understood=b.unknown,
        lang=language,
        lang_given=guess.given,
        lang_detection=guess.how(),
        missing=missing,
        engine="edsnlp 0.23 qualifiers" if language == "fr" else "negspacy NegEx + ConText cue rules",
    )


class _Builder(LabReader, ImagingReader, ConceptReader, PatientReader):
    """One note's readers together, and the case they build."""

    # ---------------------------------------------------------------- contradictions
    def settle_conflicts(self) -> None:
        """A term the note says both present and absent (an intake review: "pas de faiblesse
        musculaire" today lost, silently, to a weakness at the diagnosis years before). Said
        only in the past ("ATCD d'ulcères digitaux, cicatrisés") and denied after, today's denial
        wins; otherwise the mention present is kept, and the denial is set aside with the
        reason, to check."""
        for field in ("findings", "history", "exposures"):
            for term in [t for t in self.lists[field] if t in self.lists["absent"]]:
                said = [i for i in self.items if i.field == field and i.term == term]
                denied = [i for i in self.items if i.field == "absent" and i.term == term]
                # today's denial comes after every past mention ("ATCD d'ulcères ... ; pas d'ulcère
                # actif ce jour"); a denial before them is not today's ("without any obvious cause,
                # as multiple nodules ... In the past 5 years, the nodules grew")
                # only a finding: a past disease or exposure stays history when today's note
                # denies it is active ("ATCD de tuberculose ... Pas de tuberculose active": a code
                # review)
                if (
                    field == "findings"
                    and said
                    and denied
                    and all(i.status == "historical" for i in said)
                    and min(d.start for d in denied) > max(i.start for i in said)
                ):
                    self.lists[field].remove(term)
                    for i in said:
                        self.items.remove(i)
                        self._drop(i.model_copy(update={"reason": i.reason + self.say("r_conflict_past")}))
                    continue
                self.lists["absent"].remove(term)
                for i in denied:
                    self.items.remove(i)
                    self._drop(
                        i.model_copy(
                            update={
                                "reason": i.reason + self.say("r_conflict_kept", words=said[0].text if said else term)
                            }
                        )
                    )

    # ---------------------------------------------------------------- the case
    def case(self) -> tuple[dict[str, Any], list[str]]:
        from calcinosis.case.reader import parse_case
        from calcinosis.errors import CaseValidationError

        for _ in range(6):
            doc = self._document()
            missing = [] if "age" in self.patient_data else ["patient.age"]
            probe = {**doc, "patient": {**doc["patient"], "age": doc["patient"].get("age", 125.0)}}
            try:
                parse_case(probe, self.kb, source="<note>", lang=self.ui)
                return doc, missing
            except CaseValidationError as exc:
                if not self._remove_refused(exc):
                    raise
        return self._document(), [] if "age" in self.patient_data else ["patient.age"]

    def _document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"patient": dict(self.patient_data)}
        for field in ("history", "exposures", "findings", "sites"):
            if self.lists[field]:
                doc[field] = list(self.lists[field])
        if self.duration_months is not None:
            doc["duration_months"] = self.duration_months
        absent = [
            t
            for t in self.lists["absent"]
            if t not in self.lists["findings"] + self.lists["history"] + self.lists["exposures"]
        ]
        if absent:
            doc["absent"] = absent
        if self.lab_entries:
            labs: list[dict[str, Any]] = []
            for e, _ in self.lab_entries:  # a reading repeated word for word is one reading
                if e not in labs:
                    labs.append(dict(e))
            doc["labs"] = labs[:_MAX_LABS]
        if self.antibodies:
            doc["antibodies"] = [dict(e) for e, _ in self.antibodies.values()]
        if self.genetics:
            doc["genetics"] = [dict(e) for e, _ in self.genetics.values()]
        studies = [s.as_case() for s in self.studies.values()]
        if studies:
            doc["imaging"] = studies
        return doc

    def _remove_refused(self, exc: Any) -> bool:
        """Move the items the case reader refuses to the dropped list; False if none could be."""
        removed = False
        for issue in exc.issues:
            loc = issue.location
            hit = re.match(r"labs\[(\d+)\]", loc)
            if hit and int(hit.group(1)) < len(self.lab_entries):
                _, item = self.lab_entries.pop(int(hit.group(1)))
                self.items.remove(item)
                self._drop(
                    item.model_copy(update={"reason": self.say("r_refused", reason=item.reason, message=issue.message)})
                )
                removed = True
                break
            if loc.startswith("duration_months") or (not loc and "duration" in issue.message.lower()):
                self.duration_months = None
                for item in [i for i in self.items if i.field == "duration_months"]:
                    self.items.remove(item)
                    self._drop(
                        item.model_copy(
                            update={"reason": self.say("r_refused", reason=item.reason, message=issue.message)}
                        )
                    )
                removed = True
                break
            hit = re.match(
                r"imaging\[(\d+)\]\.(?:(symmetric|bone_destruction|uptake|along_muscle_fibers)$|size_cm)", loc
            )
            if hit and int(hit.group(1)) < len(self.studies):
                # a flag the study cannot carry (uptake said of a radiograph because the sentence
                # compares it with a scintigraphy), or its size: set aside with the reader's
                # message; the whole note used to be refused, nothing of it read, and a size left
                # the case while it stayed listed as read, in neither list the clinician checks
                term = hit.group(2) or "size_cm"
                key, study = list(self.studies.items())[int(hit.group(1))]
                if term == "size_cm":
                    study.size_cm = None
                else:
                    study.flags.pop(term, None)
                for item in [i for i in self.items if i.term == term and self._item_study.get(id(i)) == key]:
                    self.items.remove(item)
                    reason = self.say("r_refused", reason=item.reason, message=issue.message)
                    self._drop(item.model_copy(update={"reason": reason}))
                removed = True
                break
        return removed
