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
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from calcinosis.intake import measure
from calcinosis.intake.context import Analysis, Context
from calcinosis.intake.imaging import ImagingEntry, size_cm_in
from calcinosis.intake.language import IntakeError, detect_language
from calcinosis.intake.lexicon import Lexicon, Match, fold, intake_data, key
from calcinosis.intake.result import Cue, ExtractedItem, Extraction, NotUnderstood
from calcinosis.kb.model import KnowledgeBase

__all__ = ["chunks", "extract"]

CHUNK_CHARS = 20_000
_MAX_LABS = 1000  # the case reader's list limit (case/document.py LIMITS)
_LEXICONS: dict[int, tuple[object, Lexicon]] = {}
_FIELD_OF = {"conditions": "history", "exposures": "exposures", "findings": "findings"}
_NOT_CLINICAL_IN_IMAGING = {"palpable_nodules", "swelling"}
# findings that are the lesions themselves: a site in their sentence is a site of the lesions
_LESION_FINDINGS = {
    "palpable_nodules", "swelling", "painless_swelling", "growing_mass", "ulceration", "chalky_discharge",
    "skin_necrosis", "periarticular_mass", "scrotal_nodules", "subcutaneous_cysts", "visible_tophi",
    "digital_ulcers", "pain", "local_infection", "retiform_purpura",
}  # fmt: skip


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


@dataclass
class _Mention:
    match: Match
    context: Context
    sentence: tuple[int, int]
    used: bool = False


def _engine(lang: str) -> Any:
    import importlib

    try:
        engine = importlib.import_module("calcinosis.intake.french" if lang == "fr" else "calcinosis.intake.english")
        engine.pipeline()
    except ImportError as exc:
        raise IntakeError("intake_missing_extra", detail=str(exc)) from None
    return engine


def extract(text: str, kb: KnowledgeBase, *, lang: str | None = None) -> Extraction:
    """See :func:`calcinosis.intake.extract_case`."""
    guess = detect_language(text, given=lang)
    language = guess.lang
    engine = _engine(language)
    lex = _lexicon(kb)
    mentions: list[_Mention] = []
    sentences: list[tuple[int, int]] = []
    for offset, piece in chunks(text):
        found = list(lex.find(piece, language, offset=offset))
        analysis: Analysis = engine.analyse(piece, [(m.start, m.end) for m in found], offset=offset)
        sentences.extend(analysis.sentences)
        for m, ctx in zip(found, analysis.contexts, strict=True):
            mentions.append(_Mention(m, ctx, _sentence_of(analysis.sentences, m.start)))
    b = _Builder(text, kb, language, mentions, sentences)
    b.labs()
    b.antibodies_and_genes()
    b.imaging()
    b.concepts()
    b.patient()
    b.duration()
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


def _is_lesion(m: _Mention) -> bool:
    """A mention of the lesions themselves, stated as present."""
    if m.context.status != "present":
        return False
    finding = m.match.first("findings")
    return m.match.first("topic", "lesion") is not None or (finding is not None and finding.term in _LESION_FINDINGS)


def _sentence_of(sentences: list[tuple[int, int]], pos: int) -> tuple[int, int]:
    for a, b in sentences:
        if a <= pos < b:
            return a, b
    return pos, pos + 1


def _reason(ctx: Context, placed: str) -> str:
    if ctx.cue is None:
        return f"stated; {placed}"
    words = {
        "absent": "negated",
        "hypothetical": "hypothetical",
        "family": "about a relative",
        "historical": "past history",
    }
    return f"{words.get(ctx.status, ctx.status)} (cue {ctx.cue.text!r}); {placed}"


class _Builder:
    def __init__(
        self,
        text: str,
        kb: KnowledgeBase,
        lang: str,
        mentions: list[_Mention],
        sentences: list[tuple[int, int]],
    ) -> None:
        self.text = text
        self.folded = "".join(fold(ch)[:1] or " " for ch in text) if len(text) < 2_000_000 else fold(text)
        self.kb = kb
        self.lang = lang
        self.mentions = mentions
        self.sentences = sentences
        self.items: list[ExtractedItem] = []
        self.dropped: list[ExtractedItem] = []
        self.unknown: list[NotUnderstood] = []
        self.lab_entries: list[tuple[dict[str, Any], ExtractedItem]] = []
        self.antibodies: dict[str, tuple[dict[str, Any], ExtractedItem]] = {}
        self.genetics: dict[str, tuple[dict[str, Any], ExtractedItem]] = {}
        self.studies: dict[str, ImagingEntry] = {}
        self.lists: dict[str, list[str]] = {f: [] for f in ("history", "exposures", "findings", "absent", "sites")}
        self.patient_data: dict[str, Any] = {}
        self.duration_months: float | None = None
        self.by_sentence: dict[tuple[int, int], list[_Mention]] = {}
        for m in mentions:
            self.by_sentence.setdefault(m.sentence, []).append(m)

    # ---------------------------------------------------------------- helpers
    def _item(
        self, field: str, term: str, start: int, end: int, ctx: Context, reason: str, value: Any = None
    ) -> ExtractedItem:
        return ExtractedItem(
            field=field,
            term=term,
            value=value,
            text=self.text[start:end],
            start=start,
            end=end,
            status=ctx.status,
            reason=reason,
            cue=ctx.cue,
        )

    def _keep(self, item: ExtractedItem) -> None:
        self.items.append(item)

    def _drop(self, item: ExtractedItem) -> None:
        self.dropped.append(item)

    # ---------------------------------------------------------------- labs
    def labs(self) -> None:
        for sentence, group in self.by_sentence.items():
            labs = [m for m in group if m.match.first("labs", "lab_group", "derived") is not None]
            pending: list[_Mention] = []
            for i, m in enumerate(labs):
                nxt = labs[i + 1].match.start if i + 1 < len(labs) else sentence[1]
                limit = min(nxt, sentence[1], m.match.end + 60)
                target = m.match.first("labs", "lab_group", "derived")
                assert target is not None
                if target.list_name == "derived":
                    m.used = True
                    self._drop(
                        self._item(
                            "labs",
                            target.term,
                            m.match.start,
                            m.match.end,
                            m.context,
                            "the calcium x phosphate product is computed from calcium and phosphate, not entered",
                        )
                    )
                    continue
                tests = (
                    list(intake_data()["lab_groups"][target.term]["tests"])
                    if target.list_name == "lab_group"
                    else [target.term]
                )
                if m.context.status in ("hypothetical", "family"):
                    continue
                value = (
                    measure.lab_value(self.kb, tests[0], self.text, m.match.end, limit, self.lang)
                    if len(tests) == 1
                    else None
                )
                if value is not None:
                    entry, end, why = value
                    m.used = True
                    pending = []
                    item = self._item("labs", tests[0], m.match.start, end, Context(), why, entry)
                    if entry is None:
                        self._drop(item)
                    else:
                        self.lab_entries.append((entry, self._keep_ret(item)))
                    continue
                interp = measure.interpretation_after(self.folded, m.match.end, limit)
                if interp is None and self.lang == "en":
                    interp = measure.interpretation_before(self.folded, m.match.start, sentence[0])
                if interp is not None:
                    kind, a, z = interp
                    m.used = True
                    for p in [*pending, m]:
                        ptarget = p.match.first("labs", "lab_group")
                        assert ptarget is not None
                        ptests = (
                            list(intake_data()["lab_groups"][ptarget.term]["tests"])
                            if ptarget.list_name == "lab_group"
                            else [ptarget.term]
                        )
                        for test in ptests:
                            p.used = True
                            entry = {"test": test, "interpretation": kind}
                            span_end = max(z, p.match.end)
                            start = min(p.match.start, a)
                            item = self._item(
                                "labs", test, start, span_end, Context(), f"qualitative: {self.text[a:z]!r}", entry
                            )
                            self.lab_entries.append((entry, self._keep_ret(item)))
                    pending = []
                    continue
                between = self.folded[m.match.end : nxt] if i + 1 < len(labs) else ""
                joiners = {fold(j) for j in intake_data().get("lab_joiners", [])}
                if i + 1 < len(labs) and re.sub(r"\s+", " ", between).strip() in joiners | {""}:
                    pending.append(m)
                else:
                    pending = []

    def _keep_ret(self, item: ExtractedItem) -> ExtractedItem:
        self._keep(item)
        return item

    # ---------------------------------------------------------------- antibodies, genes
    def _result_word(
        self, words: dict[str, list[str]], start: int, limit: int, floor: int
    ) -> tuple[str, int, int] | None:
        after = self.folded[start:limit]
        best: tuple[int, str, int, int] | None = None
        for result, spellings in words.items():
            for w in spellings:
                fw = fold(w)
                pat = (
                    re.escape(fw)
                    if not fw[0].isalnum()
                    else r"(?<!\w)" + re.escape(fw).replace(r"\ ", r"\s+") + r"(?!\w)"
                )
                hit = re.search(pat, after)
                if hit is not None and (
                    best is None
                    or hit.start() < best[0]
                    or (hit.start() == best[0] and hit.end() - hit.start() > best[3] - best[2])
                ):
                    best = (hit.start(), result, start + hit.start(), start + hit.end())
        if best is not None:
            return best[1], best[2], best[3]
        before = self.folded[max(floor, start - 40) : start]
        for result, spellings in words.items():
            for w in spellings:
                fw = fold(w)
                if fw[0].isalnum() and re.search(
                    r"(?<!\w)" + re.escape(fw) + r"\s*(?:\w+\s*)?$", before.split((start and ".") or "\n")[-1]
                ):
                    return result, start - 1, start
        return None

    def antibodies_and_genes(self) -> None:
        data = intake_data()
        for sentence, group in self.by_sentence.items():
            abs_ = [m for m in group if not m.used and m.match.first("antibodies") is not None]
            genetic_sentence = any(
                re.search(r"(?<!\w)" + re.escape(fold(c)), self.folded[sentence[0] : sentence[1]])
                for c in data["genetic_cues"]
            )
            genes = [m for m in group if not m.used and m.match.first("genetics") is not None and genetic_sentence]
            for kind, found, words, store, field in (
                ("antibodies", abs_, data["antibody_results"], self.antibodies, "antibodies"),
                ("genetics", genes, data["genetic_results"], self.genetics, "genetics"),
            ):
                pending: list[_Mention] = []
                for i, m in enumerate(found):
                    target = m.match.first(kind)
                    assert target is not None
                    m.used = True
                    nxt = found[i + 1].match.start if i + 1 < len(found) else sentence[1]
                    hit = self._result_word(words, m.match.end, min(nxt, sentence[1]), sentence[0])
                    ctx = m.context
                    if hit is None and ctx.status in ("hypothetical", "family"):
                        self._drop(
                            self._item(field, target.term, m.match.start, m.match.end, ctx, _reason(ctx, "not placed"))
                        )
                        continue
                    if hit is None and i + 1 < len(found):
                        between = re.sub(r"\s+", " ", self.folded[m.match.end : nxt]).strip()
                        if between in {fold(j) for j in data.get("lab_joiners", [])} | {"", "anticorps", "antibodies"}:
                            pending.append(m)
                            continue
                    if hit is not None:
                        result, a, z = hit
                        reason = f"result in words ({self.text[a:z]!r})"
                    elif ctx.status == "absent":
                        result = "negative" if kind == "antibodies" else "not_found"
                        reason = _reason(ctx, "negative result")
                    else:
                        result = "positive" if kind == "antibodies" else "pathogenic_variant"
                        reason = "named without a result word: read as found"
                    for p in [*pending, m]:
                        ptarget = p.match.first(kind)
                        assert ptarget is not None
                        entry = {"name" if kind == "antibodies" else "gene": ptarget.term, "result": result}
                        item = self._item(
                            field,
                            ptarget.term,
                            p.match.start,
                            max(p.match.end, hit[2] if hit else 0),
                            p.context,
                            reason,
                            entry,
                        )
                        if ptarget.term not in store:
                            store[ptarget.term] = (entry, item)
                            self._keep(item)
                    pending = []

    # ---------------------------------------------------------------- imaging
    def imaging(self) -> None:
        current: ImagingEntry | None = None
        paragraph_end = -1
        for sentence in self.sentences:
            group = self.by_sentence.get(sentence, [])
            if sentence[0] > paragraph_end:
                current = None
            para = self.text.find("\n\n", sentence[0])
            paragraph_end = para if para != -1 else len(self.text)
            modalities = [
                m for m in group if m.match.first("modalities") and m.context.status in ("present", "historical")
            ]
            for m in group:
                if m.match.first("modalities") and m.context.status not in ("present", "historical"):
                    target = m.match.first("modalities")
                    assert target is not None
                    m.used = True
                    self._drop(
                        self._item(
                            "imaging",
                            target.term,
                            m.match.start,
                            m.match.end,
                            m.context,
                            _reason(m.context, "no study placed"),
                        )
                    )
            imaging_words = [
                m
                for m in group
                if not m.used and m.match.first("patterns", "tissues", "imaging", "distributions") is not None
            ]
            if modalities:
                first = modalities[0].match.first("modalities")
                assert first is not None
                current = self.studies.setdefault(first.term, ImagingEntry(first.term))
                for mm in modalities:
                    mm.used = True
                    t = mm.match.first("modalities")
                    assert t is not None
                    self.studies.setdefault(t.term, ImagingEntry(t.term))
                    self._keep(
                        self._item(
                            "imaging",
                            t.term,
                            mm.match.start,
                            mm.match.end,
                            mm.context,
                            "modality named: one study",
                            {"modality": t.term},
                        )
                    )
                self._fill(current, sentence, group, modalities[0].match.first("modalities").term)  # type: ignore[union-attr]
            elif current is not None and (imaging_words or any(m.match.first("topic") for m in group)):
                self._fill(current, sentence, group, current.modality, continued=True)
            else:
                for m in imaging_words:
                    t = m.match.first("patterns", "tissues", "imaging", "distributions")
                    assert t is not None
                    if t.list_name == "distributions":
                        continue
                    m.used = True
                    self._drop(
                        self._item(
                            "imaging",
                            t.term,
                            m.match.start,
                            m.match.end,
                            m.context,
                            "imaging description with no modality named: no study to place it in",
                        )
                    )

    def _fill(
        self,
        entry: ImagingEntry,
        sentence: tuple[int, int],
        group: list[_Mention],
        modality: str,
        *,
        continued: bool = False,
    ) -> None:
        how = f"in a sentence about the {modality} study" + (
            " (continued from the previous sentence)" if continued else ""
        )
        for m in group:
            if m.used:
                continue
            t = m.match.first("sites", "tissues", "patterns", "distributions", "imaging")
            if t is None:
                continue
            if t.list_name == "sites" and m.match.first("findings", "conditions", "exposures") is not None:
                continue
            m.used = True
            ctx = m.context
            if t.list_name == "imaging":
                flag, _, polarity = t.term.rpartition("_")
                value = polarity != "false" if flag else True
                name = flag if flag else t.term
                if t.term == "along_muscle_fibers":
                    name, value = "along_muscle_fibers", True
                if ctx.status == "absent":
                    value = not value
                elif ctx.status in ("hypothetical", "family"):
                    self._drop(self._item("imaging", name, m.match.start, m.match.end, ctx, _reason(ctx, "not placed")))
                    continue
                entry.flags[name] = value
                self._keep(
                    self._item(
                        "imaging",
                        name,
                        m.match.start,
                        m.match.end,
                        ctx,
                        f"{how}; {name}: {str(value).lower()}",
                        {name: value},
                    )
                )
                continue
            if ctx.status not in ("present", "historical"):
                self._drop(
                    self._item(
                        "imaging",
                        t.term,
                        m.match.start,
                        m.match.end,
                        ctx,
                        _reason(ctx, f"not added to the {modality} study"),
                    )
                )
                continue
            entry.add(t.list_name, t.term)
            self._keep(
                self._item(
                    "imaging",
                    t.term,
                    m.match.start,
                    m.match.end,
                    ctx,
                    f"{t.list_name[:-1] if t.list_name != 'distributions' else 'distribution'} {how}",
                    {t.list_name: t.term},
                )
            )
        size = size_cm_in(self.text, sentence[0], sentence[1])
        if size is not None and entry.size_cm is None:
            entry.size_cm = size[0]
            self._keep(
                self._item(
                    "imaging", "size_cm", size[1], size[2], Context(), f"largest size {how}", {"size_cm": size[0]}
                )
            )

    # ---------------------------------------------------------------- conditions, exposures, findings, sites
    def concepts(self) -> None:
        for group in self.by_sentence.values():
            has_modality = any(m.match.first("modalities") for m in group)
            lesion = any(_is_lesion(m) for m in group)
            for m in group:
                if m.used:
                    continue
                ctx = m.context
                topic = m.match.first("topic")
                if topic is not None and ctx.status == "family":
                    self._place(
                        "findings",
                        "family_history_similar",
                        m,
                        Context(),
                        f"calcinosis in a relative (cue {ctx.cue.text if ctx.cue else ''!r}): similar lesions in the family",
                    )
                    continue
                neg = m.match.first("findings")
                if neg is not None and neg.kind == "negated_form":
                    if ctx.status in ("present", "historical"):
                        self._place(
                            "absent",
                            neg.term,
                            m,
                            Context(
                                "absent", Cue(kind="wording", text=m.match.text, start=m.match.start, end=m.match.end)
                            ),
                            f"said in a negative form ({m.match.text!r}): absent",
                        )
                    continue
                t = m.match.first("conditions", "exposures", "findings")
                if t is not None:
                    if has_modality and t.term in _NOT_CLINICAL_IN_IMAGING:
                        continue
                    self._concept(m, t.list_name, t.term)
                    continue
                site = m.match.first("sites")
                if site is not None and not has_modality:
                    if ctx.status in ("present", "historical") and lesion:
                        self._place("sites", site.term, m, ctx, "site of the lesions (sentence about the lesions)")
                    elif ctx.status in ("hypothetical", "family", "absent") and lesion:
                        self._drop(
                            self._item("sites", site.term, m.match.start, m.match.end, ctx, _reason(ctx, "not placed"))
                        )

    def _concept(self, m: _Mention, list_name: str, term: str) -> None:
        ctx = m.context
        m.used = True
        if ctx.status in ("hypothetical", "family"):
            self._drop(
                self._item(_FIELD_OF[list_name], term, m.match.start, m.match.end, ctx, _reason(ctx, "not placed"))
            )
        elif ctx.status == "absent":
            self._place("absent", term, m, ctx, _reason(ctx, "absent"))
        else:
            self._place(
                _FIELD_OF[list_name],
                term,
                m,
                ctx,
                _reason(ctx, f"{_FIELD_OF[list_name]} ({list_name[:-1]} of the vocabulary)"),
            )

    def _place(self, field: str, term: str, m: _Mention, ctx: Context, reason: str) -> None:
        m.used = True
        self._keep(self._item(field, term, m.match.start, m.match.end, ctx, reason))
        if term not in self.lists[field]:
            self.lists[field].append(term)

    # ---------------------------------------------------------------- patient, duration
    def patient(self) -> None:
        age = measure.find_age(self.text, self.lang)
        if age is not None:
            self.patient_data["age"] = age.years
            self._keep(self._item("patient", "age", age.start, age.end, Context(), age.reason, age.years))
        sex = measure.find_sex(self.text, self.lang)
        if sex is not None:
            self.patient_data["sex"] = sex.sex
            self._keep(self._item("patient", "sex", sex.start, sex.end, Context(), sex.reason, sex.sex))
        else:
            self.patient_data["sex"] = "unknown"
        meno = re.search(
            r"\b(?:m[ée]nopaus[ée]e|post-?m[ée]nopaus\w*|post-?menopausal)\b", self.text[:20_000], re.IGNORECASE
        )
        if meno is not None and self.patient_data.get("sex") == "female":
            before = self.folded[max(0, meno.start() - 20) : meno.start()]
            if not re.search(r"\b(?:non|pas|not|pre)\b", before):
                self.patient_data["postmenopausal"] = True
                self._keep(self._item("patient", "postmenopausal", meno.start(), meno.end(), Context(), "stated", True))

    def duration(self) -> None:
        lesion_sentences = sorted({m.sentence for m in self.mentions if _is_lesion(m)})
        found = measure.find_duration(self.text, self.lang, lesion_sentences)
        if found is not None:
            self.duration_months = found.months
            self._keep(
                self._item(
                    "duration_months",
                    "duration_months",
                    found.start,
                    found.end,
                    Context(),
                    found.reason + ", in a sentence about the lesions",
                    found.months,
                )
            )

    # ---------------------------------------------------------------- not understood
    def not_understood(self) -> None:
        spec = intake_data()["not_understood"]
        suffixes = tuple(spec["suffixes"])
        ignore = {key(w) for w in spec["ignore"]}
        minimum = int(spec.get("min_letters", 6))
        covered = sorted((m.match.start, m.match.end) for m in self.mentions)
        starts = [a for a, _ in covered]
        import bisect

        def inside(a: int, z: int) -> bool:
            i = bisect.bisect_right(starts, a) - 1
            return i >= 0 and covered[i][0] <= a and z <= covered[i][1]

        seen: set[str] = set()
        for w in re.finditer(r"[^\W\d_]+", self.text):
            word = fold(w.group())
            if len(word) < minimum or not word.endswith(suffixes) or key(word) in ignore or inside(w.start(), w.end()):
                continue
            if key(word) in seen:
                continue
            seen.add(key(word))
            self.unknown.append(
                NotUnderstood(
                    text=w.group(),
                    start=w.start(),
                    end=w.end(),
                    why="medical-looking word (ending) with no term in the lexicon",
                )
            )
            if len(self.unknown) >= 200:
                return
        for trigger in spec["triggers"][self.lang]:
            pat = re.compile(
                r"(?<!\w)"
                + re.escape(fold(trigger))
                + r"\s+(?:(?:d'|de |des |du |une? |la |le |les |l'|a |an |the )\s*)?",
                re.IGNORECASE,
            )
            for hit in pat.finditer(self.folded):
                stop = re.search(
                    r"[,.;:()\n]|\s(?:et|and|avec|with|depuis|since|for|au|aux|sur|on|at)\s",
                    self.folded[hit.end() : hit.end() + 80],
                )
                end = hit.end() + (stop.start() if stop else min(60, len(self.folded) - hit.end()))
                phrase = self.text[hit.end() : end].strip()
                if not phrase or len(phrase) < 4:
                    continue
                a = hit.end()
                z = a + len(self.text[a:end].rstrip())
                if any(not (mz <= a or ma >= z) for ma, mz in covered):
                    continue
                if key(phrase) in seen or not re.search(r"[^\W\d_]{4,}", phrase):
                    continue
                seen.add(key(phrase))
                self.unknown.append(
                    NotUnderstood(
                        text=self.text[a:z],
                        start=a,
                        end=z,
                        why=f"what the patient presents with (after {trigger!r}), no term found",
                    )
                )
        self.unknown.sort(key=lambda u: u.start)

    # ---------------------------------------------------------------- the case
    def case(self) -> tuple[dict[str, Any], list[str]]:
        from calcinosis.case.reader import parse_case
        from calcinosis.errors import CaseValidationError

        for _ in range(6):
            doc = self._document()
            missing = [] if "age" in self.patient_data else ["patient.age"]
            probe = {**doc, "patient": {**doc["patient"], "age": doc["patient"].get("age", 125.0)}}
            try:
                parse_case(probe, self.kb, source="<note>")
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
                    item.model_copy(update={"reason": f"{item.reason}; refused by the case reader: {issue.message}"})
                )
                removed = True
                break
            if loc.startswith("duration_months") or (not loc and "duration" in issue.message.lower()):
                self.duration_months = None
                for item in [i for i in self.items if i.field == "duration_months"]:
                    self.items.remove(item)
                    self._drop(
                        item.model_copy(
                            update={"reason": f"{item.reason}; refused by the case reader: {issue.message}"}
                        )
                    )
                removed = True
                break
            hit = re.match(r"imaging\[(\d+)\]\.size_cm", loc)
            if hit:
                study = list(self.studies.values())[int(hit.group(1))]
                study.size_cm = None
                removed = True
                break
        return removed
