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

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from calcinosis.intake import measure
from calcinosis.intake.context import Analysis, Context
from calcinosis.intake.imaging import (
    ImagingEntry,
    extent_bound,
    guides_procedure,
    landmark_site,
    normal_site,
    size_cm_in,
)
from calcinosis.intake.language import IntakeError, detect_language, lexicon_error, say
from calcinosis.intake.lexicon import (
    IntakeDataError,
    Lexicon,
    Match,
    Target,
    fold,
    intake_cached,
    intake_data,
    key,
    on_intake_change,
    use_intake_of,
)
from calcinosis.intake.result import Cue, ExtractedItem, Extraction, NotUnderstood
from calcinosis.kb.model import KnowledgeBase

__all__ = ["chunks", "extract"]

CHUNK_CHARS = 20_000
_MAX_LABS = 1000  # the case reader's list limit (case/document.py LIMITS)
_LEXICONS: dict[int, tuple[object, Lexicon]] = {}
on_intake_change(_LEXICONS.clear)
_FIELD_OF = {"conditions": "history", "exposures": "exposures", "findings": "findings"}
_NOT_CLINICAL_IN_IMAGING = {"palpable_nodules", "swelling"}
# one deposit counted by its article (folded text), and the words that count several (_single_deposit)
_DEPOSIT_NOUN = (
    r"(?:calcification|calcified\s+(?:mass|lesion|nodule|focus|body)|ossified\s+mass|calcific\s+(?:deposit|focus|mass)|"
    r"focus\s+of\s+(?:calcification|calcific\s+\w+|ossification)|"
    r"calcium\s+deposit|radio-?opacity|masse\s+calcifiee|masse\s+ossifiee|formation\s+calcifiee|depot\s+calci(?:que|fie)|"
    r"opacite\s+calcique|image\s+calcique|image\s+calcifiee)"
)
_SINGLE_DEPOSIT = re.compile(
    r"(?<!\w)(?:an?|one|single|solitary|une?|une\s+seule|un\s+seul)\s+(?:[\w.-]+,?\s+){0,4}?"
    + _DEPOSIT_NOUN
    + r"(?![\w-])"
)
_PLURAL_DEPOSITS = re.compile(
    r"(?<!\w)(?:calcifications|deposits|opacities|opacites|calcified\s+(?:masses|lesions|nodules)|masses\s+calcifiees|"
    r"multiples?|plusieurs|several|numerous|nombreuses?|multifocal|diffuses?|diffusely|disseminated|diffuse|"
    r"widespread|bilateral|bilaterales?|both|deux|two|three|trois)(?!\w)"
)
# a hypothesis cue that names the sign just described (folded): _names_seen_sign
_NAMING_CUE = re.compile(
    r"(?:suggestive\s+of|consistent\s+with|compatible\s+with|typical\s+of|characteristic\s+of|evocative\s+of|"
    r"evocat(?:eur|rice)s?\s+(?:de|d['’]|des)|compatibles?\s+avec|caracteristiques?\s+(?:de|d['’]|des)|typiques?\s+(?:de|d['’]|des))"
)
# the sentence that says why the patient came (folded text): its duration is the problem's
_PRESENTATION = re.compile(
    r"(?<!\w)(?:present(?:ed|s)?\s+(?:to\s+[\w\s]{0,40}?)?with|complain(?:ed|s)?\s+of|admitted\s+(?:for|with)|"
    r"referred\s+(?:for|with)|evaluation\s+of|consult(?:e|ait|ant|a)?\s+pour|(?:se\s+)?present(?:e|ait|ant)\s+pour|"
    r"adresse(?:e|s)?\s+pour|hospitalise(?:e|s)?\s+pour|admise?\s+pour)(?!\w)"
)
# a swelling word (folded), and where a sentence places a swelling at a joint (refine_swellings)
_SWELLING_WORD = re.compile(r"(?<!\w)(?:tumefactions?|masses?|gonflements?|swellings?|lumps?)(?!\w)")
# a lump felt hard, firm or under the skin is a nodule (the coding convention of the gold
# cases: "small, hard lumps", "a hard lump at the ankle", "palpable subcutaneous lumps")
_HARD_LUMP = re.compile(
    r"(?<!\w)(?:hard|firm|palpable|subcutaneous|indurated|calcified)(?:[\s,]+(?:and\s+)?[a-z-]+){0,3}[\s,]+lumps?$"
)
_JOINTS = r"(?:shoulder|hip|knee|elbow|wrist|ankle|joint)s?"
_PERIARTICULAR = re.compile(
    r"(?<!\w)(?:peri[\s-]*articulaire?s?|peri[\s-]*articular|juxta[\s-]*articul\w*|para[\s-]*articul\w*|"
    r"around\s+(?:the|his|her|both)?\s*(?:left\s+|right\s+)?" + _JOINTS + r"|"
    r"autour\s+(?:de\s+l['’ ]?\s*|du\s+|des\s+)(?:epaule|hanche|genou|coude|poignet|cheville|articulation)s?|"
    r"en\s+regard\s+(?:de\s+l['’ ]?\s*|des\s+)articulations?|cette\s+articulation|"
    # the region of a joint is around it: "in the bilateral hip region", "région de la hanche"
    + _JOINTS
    + r"(?:\s+joints?)?\s+regions?|regions?\s+of\s+(?:the|his|her|both)?\s*(?:left\s+|right\s+|bilateral\s+)?"
    + _JOINTS
    + r"|regions?\s+(?:de\s+la\s+|de\s+l['’ ]?\s*|du\s+|des\s+)(?:deux\s+)?"
    r"(?:epaule|hanche|genou|coude|poignet|cheville)s?)(?!\w)"
)
# deposits around a joint (folded text, after the deposit word): periarticular (_around_joint)
_AROUND_JOINT = re.compile(
    r"(?<!\w)(?:around\s+(?:the|his|her|both)?\s*(?:left\s+|right\s+)?" + _JOINTS + r"|"
    r"autour\s+(?:de\s+la\s+|de\s+l['’]\s*|du\s+|des\s+)(?:epaule|hanche|genou|coude|poignet|cheville|articulation)s?|"
    r"en\s+regard\s+(?:de\s+l['’]\s*|des\s+)articulations?|juxta[\s-]*articul\w*|para[\s-]*articul\w*)(?!\w)"
)
# the body regions that tell a widespread distribution (_regions_counted)
_BODY_REGION = {
    **dict.fromkeys(("fingertips", "hand", "wrist", "forearm", "elbow", "upper_arm", "shoulder", "axilla", "upper_limb"), "upper"),
    **dict.fromkeys(("pelvis", "buttock", "hip", "groin", "thigh", "knee", "lower_leg", "calf", "ankle", "achilles", "foot", "lower_limb"), "lower"),
    **dict.fromkeys(("chest_wall", "breast", "abdominal_wall", "back", "spine", "abdomen", "scrotum", "penis", "vulva"), "trunk"),
    **dict.fromkeys(("head_neck", "face", "eyelid", "oral", "scalp", "ear"), "head"),
}  # fmt: skip
# sites that hold others (a coarser site written as the complement of a finer one: _finer_site_before)
_PART_OF = {
    "hand": {"fingertips"},
    "foot": set(),
    "upper_limb": {"fingertips", "hand", "wrist", "forearm", "elbow", "upper_arm", "shoulder", "axilla"},
    "lower_limb": {"hip", "buttock", "thigh", "knee", "lower_leg", "calf", "ankle", "achilles", "foot"},
    "lower_leg": {"calf", "achilles"},
    "head_neck": {"face", "eyelid", "oral", "scalp", "ear"},
    "face": {"eyelid", "oral"},
    "abdomen": {"abdominal_wall"},
}
# "of the second and third", "de la", "des deux": the words of a complement (folded)
_COMPLEMENT = re.compile(
    r"\s*(?:of|de|du|des|d['’]|on|in)\s+(?:(?:the|his|her|la|le|les|l['’]|both|deux|right|left|droite?|gauche)\s*)*"
    r"(?:(?:[0-9]+(?:st|nd|rd|th|e|er|eme|ieme)?|first|second|third|fourth|fifth|big|great|little|index|middle|ring|"
    r"premiere?|deuxieme|second|troisieme|quatrieme|cinquieme|gros|petit|annulaire|majeur|"
    r"two|three|four|five|several|trois|quatre|cinq|plusieurs)"
    r"(?:\s*(?:,|and|et|to|a)\s*)?)*\s*"
)
# the prepositions that bind a site to the head right before it ("nodules of the calves",
# "nodules sur les mollets"; articles and laterality words are left out first: _run_joiner)
_BINDING_PREPOSITIONS = {"", "of", "on", "at", "in", "over", "sur", "au", "aux", "a", "dans", "en"}
# a position noun that names a side of the site after it ("the back and inner side of the right
# ankle", "le dos des mains"): _aspect_of
_ASPECT_NOUNS = {"back", "backs", "dos"}
_ASPECT_OF = re.compile(
    r"\s*(?:(?:and|et)\s+(?:\w+\s+){0,2}(?:side|aspect|face|border|bord)s?\s+)?(?:of|de|du|des|d['’])\s*"
    r"(?:(?:the|his|her|both|la|le|les|l['’]|deux|right|left|droite?|gauche)\s*)*"
)
# a negative word right before a function's state word, a few small words between them
# (folded): "did not experience any restrictions", "no limitation", "sans limitation", "not limited"
# a denial written after what it denies ("family history is unremarkable", "antécédents
# familiaux : néant")
_DENIED_AFTER = re.compile(
    r"\s*(?:(?:is|was|were|are|remains|remained|est|[ée]tait|sont)\s+(?:also\s+|all\s+)?|:\s*)"
    r"(?:unremarkable|negative|noncontributory|non-contributory|absent|none|nil|n[ée]gatifs?|n[ée]gatives?|"
    r"n[ée]ant|sans\s+particularit[ée]s?|non\s+contributifs?)(?!\w)"
)
_DENIAL = re.compile(
    r"(?<!\w)(?:no|not|never|without|n't|sans|pas|aucune?|ni|non)"
    r"(?:\s+(?:any|a|an|the|significant|obvious|apparent|notable|de|d'|d’|des|du|la|le|l'|l’|une?|"
    r"experience|experienced|have|had|show|showed|present|presented))*\s*$"
)
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
        analysis: Analysis = engine.analyse(piece, [(m.start, m.end) for m in found], offset=offset)
        sentences.extend(analysis.sentences)
        for m, ctx in zip(found, analysis.contexts, strict=True):
            mentions.append(_Mention(m, ctx, _sentence_of(analysis.sentences, m.start)))
    b = _Builder(text, kb, language, mentions, sentences, ui=reasons or language)
    b.labs()
    b.antibodies_and_genes()
    b.imaging()
    b.concepts()
    b.refine_swellings()
    b.settle_imaging()
    b.patient()
    b.duration()  # after patient(): an age at onset needs the patient's age
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
    """A mention of the lesions themselves, stated as present (or as a history: "a three-month
    history of patches on the legs" describes the lesions the patient has)."""
    if m.context.status not in ("present", "historical"):
        return False
    finding = m.match.first("findings")
    return m.match.first("topic", "lesion") is not None or (finding is not None and finding.term in _LESION_FINDINGS)


# pains that are the presenting problem at the lesion's place (calcific tendinitis, crystal
# arthritis): their sentence gives the duration as a lesion's does
_PRESENTING_PAINS = {"shoulder_pain", "acute_joint_pain"}


def _stated(m: _Mention) -> bool:
    """Said as present or as a history: what a study can show, what a patient has."""
    return m.context.status in ("present", "historical")


def _presenting_pain(m: _Mention) -> bool:
    """A pain at the lesion's place said present ("douleurs de l'épaule droite évoluant depuis un an")."""
    finding = m.match.first("findings")
    return _stated(m) and finding is not None and finding.term in _PRESENTING_PAINS


def _shows_deposit(m: _Mention) -> bool:
    """A mention that tells a study shows deposits, said as present: a deposit word, a pattern,
    an imaging flag, or a tissue named by its calcification ("néphrocalcinose",
    "pulmonary calcification")."""
    if not _stated(m):
        return False
    if m.match.first(*_DEPOSIT_LISTS, "imaging") is not None:
        return True
    return m.match.first("tissues") is not None and re.search(r"calc|ossif", fold(m.match.text)) is not None


def _lesion_kind(m: _Mention) -> bool:
    """A mention of the lesions themselves (whatever its status): calcinosis, a lesion word, a lesion finding."""
    finding = m.match.first("findings")
    return m.match.first("topic", "lesion") is not None or (finding is not None and finding.term in _LESION_FINDINGS)


def _sentence_of(sentences: list[tuple[int, int]], pos: int) -> tuple[int, int]:
    for a, b in sentences:
        if a <= pos < b:
            return a, b
    return pos, pos + 1


# what a site may belong to in a sentence (its nearest "head"): the lesions, another finding,
# or, in an imaging sentence, the study's region
_HEAD_LISTS = ("findings", "conditions", "exposures", "topic", "lesion", "ignored", "other_head", "function")
_DEPOSIT_LISTS = ("topic", "lesion", "patterns")
_IMAGING_LISTS = ("sites", "tissues", "patterns", "distributions", "imaging")
# "étendues sur environ 8 cm", "extensive over 10 cm": an extent (a size), not a distribution
_EXTENT = re.compile(r"\s+(?:sur|over|for)\s+(?:environ\s+|about\s+|approximately\s+|around\s+|pres\s+de\s+)?\d")
_CLAUSE = re.compile(r",|;|\bqui\b|\bwhich\b|\bdont\b")
_LIST_ITEM = re.compile(r"\s*[-•–*]")
# a heading line: alone on its line, a few words, in capitals or ending with a colon ("TDM:",
# "RADIOGRAPHIE STANDARD A J0", "CT scan:", "Biologie :")
_HEADING_WORDS = 5


def _clinical_site(term: str, finding: str | None) -> str:
    """The site a lesion seen or felt at ``term`` is in (intake.yaml ``clinical_sites``): nodules
    "on the abdomen" are in the abdominal wall; the abdomen itself is what imaging may name, and
    what a pain or a tenderness of the abdomen is felt in (``finding``, the lesion's finding)."""
    spec = intake_data().get("clinical_sites", {})
    if finding in spec.get("not_for", []):
        return term
    return str(spec.get("sites", {}).get(term, term))


def _heading_line(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is a heading: a line of its own (a line break, or the start of
    the text, before it and a line break after it) of at most five words, written in capitals or
    ending with a colon. Radiology reports and structured notes name the study once as a heading
    and describe it in the paragraphs below."""
    span = text[start:end]
    line = span.strip()
    before = text[:start].rstrip(" \t")
    after = (span[len(span.rstrip()) :] + text[end:]).lstrip(" \t")  # a sentence keeps its line breaks
    if (
        not line
        or "\n" in line
        or (before and not before.endswith("\n"))
        or (after and not after.startswith(("\n", "\r")))
    ):
        return False
    words = re.findall(r"[^\W_]+", line)
    letters = [ch for ch in line if ch.isalpha()]
    return 0 < len(words) <= _HEADING_WORDS and (
        line.endswith(":") or (bool(letters) and all(ch.isupper() for ch in letters))
    )


# articles between two tests joined in a list ("ainsi que les enzymes", "and the serum")
_ARTICLES = re.compile(r"(?<!\w)(?:les|la|le|l'|l’|des|du|de|d'|d’|the|serum|s[ée]rique)(?!\w)")


def _joiner(between: str) -> str:
    """The words between two tests, without articles nor panels named by their adjective alone:
    "ainsi que les" -> "ainsi que"; ", hépatique, rénal, ainsi que les" -> "ainsi que"."""
    plain = _ARTICLES.sub(" ", between)
    words = _elided_panels().sub(" ", plain)
    if words != plain:  # the panels' commas are list commas: one comma at most is left
        words = re.sub(r"\s+", " ", words.replace(",", " ")).strip() or ","
    # the serial comma before the last item: ", ainsi que", ", and"
    return re.sub(r"^,\s*(?=\w)", "", re.sub(r"\s+", " ", words).strip())


@intake_cached
def _elided_panels() -> re.Pattern[str]:
    words = sorted({fold(w) for w in intake_data().get("lab_elided_panels", [])}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)")


# laterality and the words that set it ("the right elbow, pelvis, and right femur", "both knees")
_SIDE_WORDS = re.compile(r"(?<!\w)(?:right|left|both|droite?s?|gauches?|les\s+deux|deux|bilateral|bilaterale?s?)(?!\w)")


@intake_cached
def _levels() -> dict[str, str]:
    """The words that name a test's level (intake.yaml ``lab_levels``), folded, with the level."""
    return {_level_key(w): level for level, words in intake_data().get("lab_levels", {}).items() for w in words}


def _level_key(words: str) -> str:
    """``words`` folded without spaces or hyphens, so a prefix written apart ("normo phosphatémie",
    "hypo-calcémie": the lexicon joins them) names the same level as the word written whole."""
    return re.sub(r"[\s-]+", "", fold(words))


@intake_cached
def _words_re(words: tuple[str, ...]) -> re.Pattern[str]:
    """Any of ``words`` (folded, whole words; spaces and hyphens alike)."""
    body = "|".join(re.escape(fold(w)).replace(r"\ ", r"[\s-]+") for w in sorted(words, key=len, reverse=True))
    return re.compile(r"(?<!\w)(?:" + body + r")(?!\w)")


def _run_joiner(between: str) -> str:
    """The words between two sites of a run, without commas and laterality: "and right" -> "and"."""
    return re.sub(r"[\s,]+", " ", _SIDE_WORDS.sub(" ", _ARTICLES.sub(" ", between))).strip()


def _heads(group: list[_Mention]) -> list[_Mention]:
    return [
        m for m in group if m.match.first(*_HEAD_LISTS, "modalities") is not None and m.match.first("sites") is None
    ]


def _toe_phalanges(group: list[_Mention]) -> None:
    """A phalanx is a toe's in a sentence about the foot ("douleur du 2e orteil ... calcifications
    de la dernière phalange"): "phalanx", "phalange" are read as fingers only where no toe or
    foot is named."""
    if not any((t := m.match.first("sites")) is not None and t.term == "foot" for m in group):
        return
    for m in group:
        t = m.match.first("sites")
        if t is None or t.term not in ("fingertips", "hand") or "phalan" not in fold(m.match.text):
            continue
        targets = tuple(Target("sites", "foot") if x == t else x for x in m.match.targets)
        m.match = replace(m.match, targets=targets)


class _Builder:
    def __init__(
        self,
        text: str,
        kb: KnowledgeBase,
        lang: str,
        mentions: list[_Mention],
        sentences: list[tuple[int, int]],
        *,
        ui: str = "en",
    ) -> None:
        self.ui = ui
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
        for group in self.by_sentence.values():
            _toe_phalanges(group)
        # where the imaging part of a sentence begins (mentions before it are clinical)
        self.imaging_from: dict[tuple[int, int], int] = {}
        self.clinical_sites: dict[tuple[int, int], list[tuple[str, _Mention]]] = {}
        self._item_study: dict[int, str] = {}
        self._study_parts: dict[str, list[tuple[int, int]]] = {}  # the text each study's sentences give it
        self._pending_studies: tuple[
            dict[str, bool], dict[str, list[tuple[str, _Mention]]], dict[str, list[tuple[str, _Mention]]]
        ] = ({}, {}, {})

    # ---------------------------------------------------------------- reasons
    def say(self, key: str, /, **values: object) -> str:
        """A reason in the output language (messages.yaml)."""
        return say(key, self.ui, **values)

    def said(self, reason: tuple[str, dict[str, object]]) -> str:
        return say(reason[0], self.ui, **reason[1])

    def _reason(self, ctx: Context, placed: str) -> str:
        if ctx.cue is None:
            return self.say("r_stated", placed=placed)
        return self.say("r_cued", status=self.say(f"r_st_{ctx.status}"), cue=ctx.cue.text, placed=placed)

    def _placed_field(self, list_name: str) -> str:
        field = _FIELD_OF[list_name]
        return self.say("r_pl_field", field=self.say(f"r_field_{field}"), list=self.say(f"r_list_{list_name[:-1]}"))

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

    def _item_at(self, field: str, term: str, m: _Mention, ctx: Context, reason: str) -> ExtractedItem:
        """An item read at mention ``m`` (the callers set it aside, with the reason)."""
        return self._item(field, term, m.match.start, m.match.end, ctx, reason)

    def _keep(self, item: ExtractedItem) -> None:
        self.items.append(item)

    def _drop(self, item: ExtractedItem) -> None:
        self.dropped.append(item)

    # ---------------------------------------------------------------- labs
    def labs(self) -> None:
        for sentence, group in self.by_sentence.items():
            labs = [
                m
                for m in group
                if m.match.first("labs", "lab_group", "derived", "lab_state", "lab_value_word") is not None
            ]
            labs = self._with_elided_panels(labs, sentence)
            pending: list[_Mention] = []
            carried: tuple[str, int, int] | None = None  # a result said before a test, shared along "X and Y"
            bracket = self._bracketed_results(sentence, labs)
            respective = self._respective(sentence, labs)
            for i, m in enumerate(labs):
                if id(m) in respective:
                    got, _, z, why = respective[id(m)]
                    m.used = True
                    pending, carried = [], None
                    test = str(m.match.first("labs").term)  # type: ignore[union-attr]
                    item = self._item("labs", test, m.match.start, z, Context(), self.said(why), got or None)
                    if got:
                        self.lab_entries.append((got, self._keep_ret(item)))
                    else:
                        self._drop(item)
                    continue
                nxt = labs[i + 1].match.start if i + 1 < len(labs) else sentence[1]
                limit = min(nxt, sentence[1], m.match.end + 60)
                target = m.match.first("labs", "lab_group", "derived", "lab_state", "lab_value_word")
                assert target is not None
                if target.list_name == "lab_value_word":
                    self._lab_value_word(m, target.term, limit)
                    carried = None
                    pending = []
                    continue
                if target.list_name == "lab_state":
                    self._lab_state(m, target.term, target.kind, limit)
                    carried = None
                    continue
                if target.list_name == "derived":
                    m.used = True
                    self._drop(
                        self._item(
                            "labs",
                            target.term,
                            m.match.start,
                            m.match.end,
                            m.context,
                            self.say("r_derived"),
                        )
                    )
                    continue
                tests = (
                    list(intake_data()["lab_groups"][target.term]["tests"])
                    if target.list_name == "lab_group"
                    else [target.term]
                )
                if m.context.status == "family" or (
                    m.context.status == "hypothetical" and not self._hypothesis_of_other_term(m, group)
                ):
                    continue
                if re.search(r"\d\s*$", self.folded[max(sentence[0], m.match.start - 3) : m.match.start]) and (
                    len(m.match.text) <= 3
                ):
                    continue  # a short test name right after a number is that number's unit ("300 mg")
                value = (
                    measure.lab_value(self.kb, tests[0], self.text, m.match.end, limit, self.lang, list_end=sentence[1])
                    if len(tests) == 1
                    else None
                )
                if value is not None:
                    entry, end, why = value
                    m.used = True
                    pending = []
                    carried = None
                    if entry is not None and (other := self._unit_of_other_name(entry, m)) is not None:
                        entry, why = None, other
                    term = str(entry["test"]) if entry is not None else tests[0]  # a daily excretion: the urine test
                    item = self._item("labs", term, m.match.start, end, Context(), self.said(why), entry)
                    if entry is not None:
                        self.lab_entries.append((entry, self._keep_ret(item)))
                        continue
                    # a value that cannot be placed (no unit, a unit of another test) does not
                    # hide the result said in words: "CRP level was elevated (>0.6 mg/dl)"
                    self._drop(item)
                    said = measure.interpretation_after(self.folded, m.match.end, limit)
                    if said is not None and said[1] < end:
                        kind, a, z = said
                        entry = {"test": tests[0], "interpretation": kind}
                        reason = self.say("r_qualitative", words=self.text[a:z])
                        self.lab_entries.append(
                            (
                                entry,
                                self._keep_ret(
                                    self._item("labs", tests[0], m.match.start, z, Context(), reason, entry)
                                ),
                            )
                        )
                    continue
                interp = measure.interpretation_after(self.folded, m.match.end, limit)
                if interp is None:
                    interp = bracket.get(id(m))
                floor = labs[i - 1].match.end if i > 0 else sentence[0]
                if interp is None:
                    interp = measure.interpretation_prefix(self.folded, m.match.start, floor)
                if interp is None and self.lang == "en":
                    interp = measure.interpretation_before(self.folded, m.match.start, floor)
                if interp is None:
                    interp = measure.interpretation_likewise(self.folded, m.match.start, sentence[0])
                if interp is None:
                    nearest = min(
                        [o.match.start for o in group if o.match.start >= m.match.end and o is not m] + [limit]
                    )
                    interp = measure.interpretation_further_on(self.folded, m.match.end, nearest)
                if interp is None and carried is not None and i > 0:
                    joined = _joiner(self.folded[labs[i - 1].match.end : m.match.start])
                    if joined in {fold(j) for j in intake_data().get("lab_joiners", [])}:
                        interp = carried
                carried = None
                if interp is not None and interp[1] < m.match.start:
                    carried = interp
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
                                "labs",
                                test,
                                start,
                                span_end,
                                Context(),
                                self.say("r_qualitative", words=self.text[a:z]),
                                entry,
                            )
                            self.lab_entries.append((entry, self._keep_ret(item)))
                    pending = []
                    continue
                between = self.folded[m.match.end : nxt] if i + 1 < len(labs) else ""
                joiners = {fold(j) for j in intake_data().get("lab_joiners", [])}
                if i + 1 < len(labs) and _joiner(between) in joiners | {""}:
                    pending.append(m)
                else:
                    pending = []
        self._values_win()

    def _unit_of_other_name(self, entry: dict[str, Any], m: _Mention) -> measure.Reason | None:
        """Why a value is not the test's when its unit belongs to another name of the analyte
        (intake.yaml ``lab_mass_units``): the case's urea in mg/dL is blood urea nitrogen, so
        "urea 71 mg/dl" (the mass of urea, 2.14 times the nitrogen) is left out; "BUN 90 mg/dL" is kept."""
        spec = intake_data().get("lab_mass_units", {}).get(entry["test"])
        if spec is None or entry.get("unit") != spec["unit"]:
            return None
        if fold(m.match.text) in {fold(n) for n in spec["names"]}:
            return None
        others = [u for u in self.kb.units["tests"][entry["test"]]["units"] if u != spec["unit"]]
        return "r_unit_mismatch", {"unit": spec["unit"], "test": m.match.text, "expected": ", ".join(others)}

    @staticmethod
    def _hypothesis_of_other_term(m: _Mention, group: list[_Mention]) -> bool:
        """A hypothesis cue written before the test with another term between them is that term's:
        "en faveur d'une hyperparathyroïdie primaire (PTH 172 ng/L)", "an evaluation for causes of
        hypercalcemia revealed a low 1,25-dihydroxyvitamin D" suppose the disorder, and the test's
        result is what was measured. A cue before the test or a list of tests ("à doser : PTH") keeps it."""
        cue = m.context.cue
        if cue is None or cue.end > m.match.start:
            return False
        return any(
            cue.end <= other.match.start
            and other.match.end <= m.match.start
            and other.match.first("labs", "lab_group") is None  # "à doser : PTH et calcémie": both tests
            for other in group
        )

    def _respective(
        self, sentence: tuple[int, int], labs: list[_Mention]
    ) -> dict[int, tuple[dict[str, Any], int, int, measure.Reason]]:
        """Tests listed before their values in the same order, in a sentence that says
        "respectively" / "respectivement": each test takes the value of its rank."""
        if not re.search(r"\brespectiv", self.folded[sentence[0] : sentence[1]]):
            return {}
        joiners = {fold(j) for j in intake_data().get("lab_joiners", [])}
        out: dict[int, tuple[dict[str, Any], int, int, measure.Reason]] = {}
        i = 0
        while i < len(labs):
            run = [labs[i]]
            while i + len(run) < len(labs):
                nxt = labs[i + len(run)]
                if (
                    nxt.match.first("labs") is None
                    or _joiner(self.folded[run[-1].match.end : nxt.match.start]) not in joiners
                ):
                    break
                run.append(nxt)
            if len(run) > 1 and all(m.match.first("labs") is not None for m in run):
                tests = [str(m.match.first("labs").term) for m in run]  # type: ignore[union-attr]
                values = measure.respective_values(self.kb, tests, self.text, run[-1].match.end, sentence[1], self.lang)
                for m, reading in zip(run, values or [], strict=False):
                    out[id(m)] = reading
            i += len(run)
        return out

    def _values_win(self) -> None:
        """One entry per test, as a clinician codes a case: a test the note gives a value for keeps
        its value, and the result said in words of it ("high normal serum calcium ... (corrected
        calcium 10.2 mg/dL)", "hypercalcémie (4,03 mmol/L)") is read but not placed."""
        valued = {e["test"] for e, _ in self.lab_entries if e.get("value") is not None}
        kept: list[tuple[dict[str, Any], ExtractedItem]] = []
        for entry, item in self.lab_entries:
            if entry.get("value") is None and entry["test"] in valued:
                if item in self.items:
                    self.items.remove(item)
                self._drop(item.model_copy(update={"reason": f"{item.reason}; {self.say('r_pl_not_placed')}"}))
                continue
            kept.append((entry, item))
        self.lab_entries = kept

    def _with_elided_panels(self, labs: list[_Mention], sentence: tuple[int, int]) -> list[_Mention]:
        """The panels a list names by their adjective alone after a panel ("bilan phosphocalcique,
        hépatique, rénal"): a panel read through a test of the case (the renal panel: creatinine)
        becomes a test of the list, where it is written (intake.yaml ``lab_elided_panels``)."""
        panels = intake_data().get("lab_elided_panels", {})
        tests = {fold(w): list(t) for w, t in panels.items()}
        out: list[_Mention] = []
        for m in labs:
            out.append(m)
            if m.match.first("lab_group") is None:
                continue
            pos = m.match.end
            while hit := re.match(r"\s*(?:,|\bet\b|\band\b)\s*(\w+)", self.folded[pos : sentence[1]]):
                word = hit.group(1)
                if word not in tests:
                    break
                a, z = pos + hit.start(1), pos + hit.end(1)
                for test in tests[word]:
                    match = Match(a, z, self.text[a:z], (Target("labs", test),))
                    out.append(_Mention(match, m.context, sentence))
                pos = z
        return out

    def _bracketed_results(self, sentence: tuple[int, int], labs: list[_Mention]) -> dict[int, tuple[str, int, int]]:
        """Tests listed in brackets that share the result said after them: "La biologie
        standard (NFS, ionogramme, VS) est normale" gives every test of the brackets."""
        out: dict[int, tuple[str, int, int]] = {}
        for hit in re.finditer(r"\(([^()]{0,200})\)", self.folded[sentence[0] : sentence[1]]):
            a, z = sentence[0] + hit.start(), sentence[0] + hit.end()
            inside = [m for m in labs if a < m.match.start and m.match.end < z]
            if not inside:
                continue
            interp = measure.interpretation_after(self.folded, z, min(sentence[1], z + 40))
            if interp is not None:
                for m in inside:
                    out[id(m)] = interp
        return out

    def _lab_value_word(self, m: _Mention, test: str, limit: int) -> None:
        """A disorder named with the test's value ("hypercalcémie à 3,1 mmol/l"): the value is the
        test's when its unit fits; the mention stays free for the condition it names."""
        if m.context.status not in ("present", "historical"):
            return
        value = measure.lab_value(self.kb, test, self.text, m.match.end, limit, self.lang)
        if value is None or value[0] is None:
            level = _levels().get(_level_key(m.match.text))
            if level is not None:  # "hypercalcémie" alone states the result: calcium high
                entry = {"test": test, "interpretation": level}
                reason = self.say("r_lab_state", words=m.match.text, interp=self.say(f"r_interp_{level}"))
                item = self._item("labs", test, m.match.start, m.match.end, Context(), reason, entry)
                self.lab_entries.append((entry, self._keep_ret(item)))
            return
        entry, end, why = value
        item = self._item("labs", test, m.match.start, end, Context(), self.said(why), entry)
        self.lab_entries.append((entry, self._keep_ret(item)))

    def _lab_state(self, m: _Mention, test: str, interp: str, limit: int) -> None:
        """A word that names a test and its result ("hyperleucocytose"): its value if usable, else the result."""
        if m.context.status in ("hypothetical", "family"):
            return
        m.used = True
        value = measure.lab_value(self.kb, test, self.text, m.match.end, limit, self.lang)
        if value is not None and value[0] is not None:
            entry, end, why = value
            self.lab_entries.append(
                (entry, self._keep_ret(self._item("labs", test, m.match.start, end, Context(), self.said(why), entry)))
            )
            return
        if value is not None:
            self._drop(self._item("labs", test, m.match.start, value[1], Context(), self.said(value[2])))
        if m.context.status == "absent":
            return
        entry = {"test": test, "interpretation": interp}
        reason = self.say("r_lab_state", words=m.match.text, interp=self.say(f"r_interp_{interp}"))
        self.lab_entries.append(
            (entry, self._keep_ret(self._item("labs", test, m.match.start, m.match.end, Context(), reason, entry)))
        )

    def _keep_ret(self, item: ExtractedItem) -> ExtractedItem:
        self._keep(item)
        return item

    # ---------------------------------------------------------------- antibodies, genes
    def _result_word(
        self, words: dict[str, list[str]], start: int, limit: int, floor: int, *, name_start: int | None = None
    ) -> tuple[str, int, int] | None:
        adjacent = self._result_just_before(words, start if name_start is None else name_start, floor)
        if adjacent is not None:
            return adjacent
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

    def _result_just_before(self, words: dict[str, list[str]], start: int, floor: int) -> tuple[str, int, int] | None:
        """A result word written right before the name ("positive anti-dsDNA antibodies"):
        it wins over a word further on, which may belong to the next clause ("..., with normal
        serum calcium")."""
        before = self.folded[max(floor, start - 30) : start]
        for result, spellings in words.items():
            for w in spellings:
                fw = fold(w)
                if not fw[0].isalnum():
                    continue
                hit = re.search(r"(?<!\w)" + re.escape(fw).replace(r"\ ", r"\s+") + r"\s+$", before)
                if hit is not None:
                    base = start - len(before)
                    return result, base + hit.start(), base + hit.start() + len(fw)
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
                    hit = self._result_word(
                        words, m.match.end, min(nxt, sentence[1]), sentence[0], name_start=m.match.start
                    )
                    ctx = m.context
                    if hit is None and ctx.status in ("hypothetical", "family"):
                        self._drop(
                            self._item(
                                field,
                                target.term,
                                m.match.start,
                                m.match.end,
                                ctx,
                                self._reason(ctx, self.say("r_pl_not_placed")),
                            )
                        )
                        continue
                    if hit is None and i + 1 < len(found):
                        between = re.sub(r"\s+", " ", self.folded[m.match.end : nxt]).strip()
                        if between in {fold(j) for j in data.get("lab_joiners", [])} | {"", "anticorps", "antibodies"}:
                            pending.append(m)
                            continue
                    if hit is not None:
                        result, a, z = hit
                        reason = self.say("r_result_words", words=self.text[a:z])
                    elif ctx.status == "absent":
                        result = "negative" if kind == "antibodies" else "not_found"
                        reason = self._reason(ctx, self.say("r_pl_negative"))
                    else:
                        result = "positive" if kind == "antibodies" else "pathogenic_variant"
                        reason = self.say("r_result_none")
                    for p in [*pending, m]:
                        ptarget = p.match.first(kind)
                        assert ptarget is not None
                        entry = {"name" if kind == "antibodies" else "gene": ptarget.term, "result": result}
                        item = self._item(
                            field,
                            ptarget.term,
                            min(p.match.start, hit[1] if hit else p.match.start),
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
        list_open = False  # the study's sentence ended with ":" and its findings follow as a list
        evidence: dict[str, bool] = {}
        region: dict[str, list[tuple[str, _Mention]]] = {}
        deposits: dict[str, list[tuple[str, _Mention]]] = {}
        # the study a heading names ("TDM :", "ECHOGRAPHIE"): it goes on over the paragraphs below
        # it until another heading, as a radiology report is laid out
        section: ImagingEntry | None = None
        for sentence in self.sentences:
            group = self.by_sentence.get(sentence, [])
            heading = _heading_line(self.text, *sentence)
            if heading:
                section = None
            if sentence[0] > paragraph_end and not (list_open and _LIST_ITEM.match(self.text, sentence[0])):
                current = section
                list_open = False
            # the paragraph's end after the sentence (a heading line may open the sentence)
            para = self.text.find("\n\n", max(sentence[0], sentence[1] - 2))
            paragraph_end = para if para != -1 else len(self.text)
            modalities = [m for m in group if m.match.first("modalities") and _stated(m)]
            for m in group:
                if m.match.first("modalities") and m in modalities and self._guides(m):
                    modalities.remove(m)  # "ultrasound-guided barbotage": a tool, not a study
                elif m.match.first("modalities") and m.context.status not in ("present", "historical"):
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
                            self._reason(m.context, self.say("r_pl_no_study")),
                        )
                    )
            start = sentence[0]
            if modalities:
                start = self._imaging_start(sentence, modalities[0])
                self.imaging_from[sentence] = start
            part = [m for m in group if m.match.start >= start]
            imaging_words = [
                m
                for m in part
                if not m.used
                and m.match.first("patterns", "tissues", "imaging", "distributions") is not None
                and m.match.first("sites", "findings", "conditions", "exposures") is None
            ]
            # a deposit said absent ("brain CT shows no parenchymal calcification") is no evidence
            has_deposit = any(_shows_deposit(m) for m in part)
            if modalities:
                first = modalities[0].match.first("modalities")
                assert first is not None
                current = self.studies.setdefault(first.term, ImagingEntry(first.term))
                if heading:
                    section = current
                for mm in modalities:
                    mm.used = True
                    t = mm.match.first("modalities")
                    assert t is not None
                    self.studies.setdefault(t.term, ImagingEntry(t.term))
                    evidence.setdefault(t.term, False)
                    self._keep(
                        self._item(
                            "imaging",
                            t.term,
                            mm.match.start,
                            mm.match.end,
                            mm.context,
                            self.say("r_modality"),
                            {"modality": t.term},
                        )
                    )
                for lead, a, z in self._statements(modalities, start, sentence[1]):
                    # each statement of the sentence describes its own studies: "the radiograph
                    # was normal, but CT showed calcifications" gives the radiograph nothing
                    seg = [m for m in part if a <= m.match.start < z]
                    seg_deposit = any(_shows_deposit(m) for m in seg)
                    lead_term = lead[0].match.first("modalities")
                    assert lead_term is not None
                    current = self.studies[lead_term.term]
                    evidence[lead_term.term] = evidence.get(lead_term.term, False) or seg_deposit
                    self._study_parts.setdefault(lead_term.term, []).append((a, z))
                    before_fill = {id(m): m.used for m in seg}
                    self._fill(current, sentence, seg, lead_term.term, region, deposits)
                    for other in self._coordinated_modalities(lead):
                        # "Abdominal X-ray and ultrasonography showed ...", "Radiographie ... et
                        # coupe scannographique montrant ...": one description, several studies
                        used_now = {id(m): m.used for m in seg}
                        for m in seg:
                            m.used = before_fill[id(m)]
                        evidence[other] = evidence.get(other, False) or seg_deposit
                        self._study_parts.setdefault(other, []).append((a, z))
                        self._fill(self.studies[other], sentence, seg, other, region, deposits)
                        for m in seg:
                            m.used = m.used or used_now[id(m)]
            elif current is not None and (imaging_words or has_deposit):
                evidence[current.modality] = evidence.get(current.modality, False) or has_deposit
                self._study_parts.setdefault(current.modality, []).append(sentence)
                self._fill(current, sentence, part, current.modality, region, deposits, continued=True)
            else:
                if group and not (list_open and _LIST_ITEM.match(self.text, sentence[0])):
                    # a description goes on in the sentences right after the study's: a sentence
                    # about something else ends it ("Hémodialyse depuis 1987. ... hypertension
                    # artérielle" is no longer the radiograph's); a bare figure callout does not;
                    # under a study's heading, the section goes on
                    current = section
                for m in imaging_words:
                    t = m.match.first("patterns", "tissues", "imaging", "distributions")
                    assert t is not None
                    if t.list_name == "distributions":
                        continue
                    m.used = True
                    self._drop(
                        self._item("imaging", t.term, m.match.start, m.match.end, m.context, self.say("r_no_modality"))
                    )
            if current is not None and re.search(r":\s*(?:\n|$)", self.text[sentence[0] : sentence[1]]):
                list_open = True
        self._pending_studies = (evidence, region, deposits)

    def _guides(self, m: _Mention) -> bool:
        """A modality that guides a procedure ("ultrasound-guided barbotage", "ponction
        écho-guidée") is dropped: it is a tool, not a study of the lesions."""
        if not guides_procedure(self.folded, m.match.start, m.match.end):
            return False
        target = m.match.first("modalities")
        assert target is not None
        m.used = True
        reason = f"'{self.text[m.match.start : m.match.end + 8].strip()}…': {self.say('r_pl_no_study')}"
        self._drop(self._item("imaging", target.term, m.match.start, m.match.end, m.context, reason))
        return True

    def _landmark(self, site: _Mention, group: list[_Mention]) -> bool:
        """A site named to situate the deposits ("separate from the pubis and ischium", "au
        contact de la branche ischio-pubienne"): the relation word stands before it or before
        the run of sites it ends ("à distance du pubis et de l'ischion")."""
        sites = sorted((m for m in group if m.match.first("sites") is not None), key=lambda m: m.match.start)
        i = sites.index(site)
        joiners = {"", "et", "and", "or", "ou"}
        while True:
            if landmark_site(self.folded, sites[i].match.start):
                return True
            if i == 0 or _run_joiner(self.folded[sites[i - 1].match.end : sites[i].match.start]) not in joiners:
                return False
            i -= 1

    def settle_imaging(self) -> None:
        """Once the clinical sites are known (concepts), the sites of each study."""
        self._settle_studies(*self._pending_studies)

    def _imaging_start(self, sentence: tuple[int, int], modality: _Mention) -> int:
        """Where the imaging part of a sentence begins: at the clause of its first modality.

        "Nodules of the elbows, which on radiographs were calcifications": the nodules and
        their sites are clinical, the study begins at "which"."""
        start = sentence[0]
        for hit in _CLAUSE.finditer(self.folded, sentence[0], modality.match.start):
            start = hit.start()
        return start

    def _settle_studies(
        self,
        evidence: dict[str, bool],
        region: dict[str, list[tuple[str, _Mention]]],
        deposits: dict[str, list[tuple[str, _Mention]]],
    ) -> None:
        """Sites of each study, and studies that describe no deposit dropped.

        A study's sites are those of its deposits; the region examined ("radiographs of both
        knees") stands in only when the deposits have no site of their own, and the sites of
        the lesions the study shows ("nodules of the elbows, calcified on radiographs") when
        neither is written. A modality named in no sentence that describes a calcification, a
        deposit or an imaging pattern (a radiograph that ruled out a fracture, a figure
        callout) is no study of the lesions."""
        for modality, entry in list(self.studies.items()):
            if not evidence.get(modality, False):
                del self.studies[modality]
                for item in [i for i in self.items if i.field == "imaging" and self._study_of(i) == modality]:
                    self.items.remove(item)
                    self._drop(item.model_copy(update={"reason": self.say("r_modality_no_deposit")}))
                continue
            self._single_deposit(modality, entry)
            chosen = deposits.get(modality) or region.get(modality) or []
            key = "r_study_site_lesions"
            if deposits.get(modality):
                key = ""
            elif region.get(modality):
                key = "r_study_site_region"
            elif not chosen:
                chosen = [
                    pair
                    for sentence, pairs in self.clinical_sites.items()
                    if self.imaging_from.get(sentence, sentence[0]) > sentence[0]
                    and any(
                        i.value == {"modality": modality} and sentence[0] <= i.start < sentence[1] for i in self.items
                    )
                    for pair in pairs
                ]
            how = self.say("r_in_study", modality=modality)
            for term, m in chosen:
                if term in entry.sites:
                    continue
                entry.sites.append(term)
                reason = (
                    self.say("r_study_item", kind=self.say("r_kind_site"), how=how)
                    if not key
                    else self.say(key, how=how)
                )
                self._keep(self._item("imaging", term, m.match.start, m.match.end, m.context, reason, {"sites": term}))
            if key == "r_study_site_lesions" and chosen:
                self._lesion_tissues(modality, entry, how)
            self._regions_counted(modality, entry)

    def _lesion_tissues(self, modality: str, entry: ImagingEntry, how: str) -> None:
        """A study that shows the lesions of its sentence's clinical clause ("nodules sous-cutanés
        ... qui correspondaient à la radiographie à des calcifications") takes their tissue, as it
        takes their sites, when it names none of its own."""
        if entry.tissues:
            return
        for sentence, start in self.imaging_from.items():
            if start <= sentence[0] or not any(
                i.value == {"modality": modality} and sentence[0] <= i.start < sentence[1] for i in self.items
            ):
                continue
            clinical = [m for m in self.by_sentence.get(sentence, []) if m.match.start < start]
            for m in clinical:
                t = m.match.first("tissues")
                if t is None or m.context.status not in ("present", "historical"):
                    continue
                if not any(_lesion_kind(o) for o in clinical) or self._tissue_owner(m, clinical) is not None:
                    continue
                entry.add("tissues", t.term)
                item = self._item(
                    "imaging", t.term, m.match.start, m.match.end, m.context,
                    self.say("r_study_tissue_lesions", how=how), {"tissues": t.term},
                )  # fmt: skip
                self._item_study[id(item)] = modality
                self._keep(item)

    def _regions_counted(self, modality: str, entry: ImagingEntry) -> None:
        """Deposits at three sites or more, in two body regions or more (upper limbs, lower limbs
        with the pelvic girdle, trunk, head and neck), are widespread, as the case format defines
        it ("several regions, as in calcinosis universalis"), when the note names no distribution."""
        if entry.distribution is not None or len(entry.sites) < 3:
            return
        regions = {_BODY_REGION.get(site) for site in entry.sites} - {None}
        if len(regions) < 2:
            return
        entry.distribution = "widespread"
        first = next(i for i in self.items if i.value == {"modality": modality})
        item = self._item(
            "imaging", "widespread", first.start, first.end, Context(),
            self.say("r_regions_counted", sites=", ".join(entry.sites), modality=modality),
            {"distributions": "widespread"},
        )  # fmt: skip
        self._item_study[id(item)] = modality
        self._keep(item)

    def _qualifies_deposit(self, m: _Mention, group: list[_Mention]) -> bool:
        """A distribution word counts the deposits only when it is said of them: before a deposit
        word (calcification, deposit, a pattern, a lesion) of the same clause, 40 characters at
        most ("extensive soft tissue calcification"), or right after one, a verb at most between
        ("calcifications diffuses", "deposits were multiple"), or after the deposits' tissue
        ("calcifications artérielles diffuses"). "diffuse, floating echoes" and
        "a nodule surrounded by fluid with diffuse echoes" describe the echoes."""
        for other in group:
            if other is m or other.match.first(*_DEPOSIT_LISTS, "tissues") is None:
                continue
            pattern = other.match.first("patterns")
            if pattern is not None and pattern.term == "fluid_levels":
                continue  # "multiple calcium-fluid levels" lie within one mass: they count no deposits
            if other.match.start >= m.match.end and other.match.first(*_DEPOSIT_LISTS) is not None:
                gap = self.folded[m.match.end : other.match.start]
                if len(gap) <= 40 and not re.search(r"[.;]", gap):
                    return True
            elif other.match.end <= m.match.start:
                gap = self.folded[other.match.end : m.match.start]
                if re.fullmatch(r"[\s,]*(?:(?:were|was|are|is|sont|etaient|etait|est|very|tres|plus|more)\s+)*", gap):
                    return True
        return False

    def _statements(self, modalities: list[_Mention], start: int, end: int) -> list[tuple[list[_Mention], int, int]]:
        """The statements of an imaging sentence: (its modalities, start, end). A modality after a
        contrast ("but", "mais", "whereas", "tandis que", a semicolon) starts a statement of its
        own, from that word on; modalities joined by "and"/"et" share one."""
        out: list[tuple[list[_Mention], int, int]] = []
        current: list[_Mention] = [modalities[0]]
        seg_start = start
        for prev, m in itertools.pairwise(modalities):
            between = self.folded[prev.match.end : m.match.start]
            cut = None
            for hit in re.finditer(
                r";|\b(?:but|mais|whereas|however|cependant|tandis\s+que|alors\s+que|while)\b", between
            ):
                cut = prev.match.end + hit.start()
            if cut is None:
                current.append(m)
                continue
            out.append((current, seg_start, cut))
            current, seg_start = [m], cut
        out.append((current, seg_start, end))
        return out

    def _coordinated_modalities(self, modalities: list[_Mention]) -> list[str]:
        """The other modalities joined to the first by a coordination ("X-ray and ultrasonography",
        "radiographie ... et coupe scannographique"), which share the sentence's description.
        A modality after a comma, "but" or "mais" starts a statement of its own."""
        out: list[str] = []
        first = modalities[0].match.first("modalities")
        assert first is not None
        for prev, m in itertools.pairwise(modalities):
            t = m.match.first("modalities")
            assert t is not None
            between = self.folded[prev.match.end : m.match.start]
            if len(between) > 60 or re.search(r"[,;:.]|\b(?:but|mais|whereas|alors|while|tandis)\b", between):
                break
            if not re.search(r"(?<!\w)(?:and|et|or|ou|plus)(?!\w)|[/&+]", between):
                break
            if t.term != first.term and t.term not in out:
                out.append(t.term)
        return out

    def _single_deposit(self, modality: str, entry: ImagingEntry) -> None:
        """A study that describes one deposit in the singular has a single distribution.

        "a calcification in the biceps femoris", "une masse calcifiée ... péri articulaire",
        "a solitary ossified mass": the indefinite article (or single, solitary, une seule) on a
        deposit word in the singular counts the deposits, as a clinician reads it. Any plural
        deposit or counting word in the study's sentences ("calcifications", "multiple",
        "plusieurs", "diffuse") leaves the distribution unsaid, and a distribution the note
        names wins."""
        if entry.distribution is not None:
            return
        parts = [self.folded[a:z] for a, z in self._study_parts.get(modality, [])]
        if not parts or any(_PLURAL_DEPOSITS.search(p) for p in parts):
            return
        for (a, _), part in zip(self._study_parts[modality], parts, strict=True):
            hit = _SINGLE_DEPOSIT.search(part)
            if hit is not None:
                entry.distribution = "single"
                where = (a + hit.start(), a + hit.end())
                item = self._item(
                    "imaging",
                    "single",
                    where[0],
                    where[1],
                    Context(),
                    self.say("r_single_deposit", words=self.text[where[0] : where[1]], modality=modality),
                    {"distributions": "single"},
                )
                self._item_study[id(item)] = modality
                self._keep(item)
                return

    def _study_of(self, item: ExtractedItem) -> str | None:
        if isinstance(item.value, dict) and "modality" in item.value:
            return str(item.value["modality"])
        return self._item_study.get(id(item))

    def _site_head(self, site: _Mention, group: list[_Mention]) -> _Mention | None:
        """The mention a site belongs to: the nearest head around the run of sites it is in
        ("shoulders, elbows and knees"), the one before it on a tie."""
        sites = sorted((m for m in group if m.match.first("sites") is not None), key=lambda m: m.match.start)
        i = sites.index(site)
        a, z = i, i
        joiners = {fold(j) for j in intake_data().get("lab_joiners", [])} | {"", "et", "and", "or", "ou"}
        while a > 0 and _run_joiner(self.folded[sites[a - 1].match.end : sites[a].match.start]) in joiners:
            a -= 1
        while z + 1 < len(sites) and _run_joiner(self.folded[sites[z].match.end : sites[z + 1].match.start]) in joiners:
            z += 1
        low, high = sites[a].match.start, sites[z].match.end
        best: tuple[tuple[int, int, int], _Mention] | None = None
        for h in _heads(group):
            if h.match.end <= low:
                gap, side = low - h.match.end, 0
                between = self.text[h.match.end : low]
            elif h.match.start >= high:
                gap, side = h.match.start - high, 1
                between = self.text[high : h.match.start]
            else:
                continue
            if ";" in between or "\n\n" in between:  # a list item or a clause of its own
                continue
            # a head in the site's own clause wins over a nearer one across a comma ("douleur
            # de la hanche, aucun contexte traumatique": the hip is the pain's); a head bound to
            # the site by a preposition wins, whatever is nearer: "nodules of the calves and
            # ulnar drift", and a study bound by "of"/"de" or as a noun adjunct names the region
            # examined ("ultrasound of the right heel shows calcific material", "knee radiographs")
            joiner = _run_joiner(fold(between))
            if h.match.first("modalities") is not None:
                bound = joiner in ("", "of")
            else:
                bound = side == 0 and joiner in _BINDING_PREPOSITIONS
            rank = (-1 if bound else 1 if "," in between else 0, gap, side)
            if best is None or rank < best[0]:
                best = (rank, h)
        return best[1] if best is not None else None

    def _fill(
        self,
        entry: ImagingEntry,
        sentence: tuple[int, int],
        group: list[_Mention],
        modality: str,
        region: dict[str, list[tuple[str, _Mention]]],
        deposits: dict[str, list[tuple[str, _Mention]]],
        *,
        continued: bool = False,
    ) -> None:
        how = self.say("r_in_study_continued" if continued else "r_in_study", modality=modality)
        for m in group:
            if m.used:
                continue
            # one mention may name a site and a tissue ("vastus lateralis": the thigh, muscle) or a
            # tissue and a pattern ("calcific tendinopathy"): each of its imaging meanings counts
            # ("nodules sous-cutanés": a finding, and the tissue of the lesions); a finding stays the
            # finding's to place (concepts), and one in a sentence that only goes on is no imaging
            concept = m.match.first("findings", "conditions", "exposures") is not None
            if concept and continued:
                continue
            done: set[str] = set()
            for t in m.match.targets:
                if t.list_name not in _IMAGING_LISTS or t.list_name in done:
                    continue
                done.add(t.list_name)
                if t.list_name == "sites" and concept:
                    continue
                m.used = m.used or not concept
                self._fill_target(entry, m, t, group, modality, region, deposits, how)
        self._around_joint(entry, group, modality, how)
        size = size_cm_in(self.text, max(sentence[0], group[0].match.start if group else sentence[0]), sentence[1])
        if size is not None and entry.size_cm is None:
            entry.size_cm = size[0]
            item = self._item(
                "imaging", "size_cm", size[1], size[2], Context(), self.say("r_size", how=how), {"size_cm": size[0]}
            )
            self._item_study[id(item)] = modality
            self._keep(item)

    def _fill_target(
        self,
        entry: ImagingEntry,
        m: _Mention,
        t: Target,
        group: list[_Mention],
        modality: str,
        region: dict[str, list[tuple[str, _Mention]]],
        deposits: dict[str, list[tuple[str, _Mention]]],
        how: str,
    ) -> None:
        """One imaging meaning ``t`` of mention ``m`` into the study ``entry`` (see :meth:`_fill`)."""
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
                self._drop(
                    self._item(
                        "imaging",
                        name,
                        m.match.start,
                        m.match.end,
                        ctx,
                        self._reason(ctx, self.say("r_pl_not_placed")),
                    )
                )
                return
            entry.flags[name] = value
            item = self._item(
                "imaging",
                name,
                m.match.start,
                m.match.end,
                ctx,
                self.say("r_flag", how=how, name=name, value=self.say("r_true" if value else "r_false")),
                {name: value},
            )
            self._item_study[id(item)] = modality
            self._keep(item)
            return
        if ctx.status not in ("present", "historical"):
            reason = self._reason(ctx, self.say("r_pl_not_in_study", modality=modality))
            self._drop(self._item_at("imaging", t.term, m, ctx, reason))
            return
        if t.list_name == "sites":
            if self._landmark(m, group) or normal_site(self.folded, m.match.end):
                self._drop(self._item_at("imaging", t.term, m, ctx, self.say("r_study_site_other", head=m.match.text)))
                return
            finer = self._finer_site_before(m, group)
            if finer is not None:  # "phalanges distales des trois doigts": one place, the finer
                self._drop(self._item_at("imaging", t.term, m, ctx, self.say("r_site_complement", finer=finer)))
                return
            head = self._site_head(m, group)
            kind = "deposit"
            if (head is not None and head.match.first("modalities") is not None) or extent_bound(
                self.folded, m.match.start
            ):
                # the bounds of an extent ("from the knee down to the ankle") stand in, as the
                # region examined does, only for deposits with no site of their own
                kind = "region"
            elif (
                head is not None
                and head.match.first(*_DEPOSIT_LISTS) is None
                and (head.match.first("findings", "conditions", "exposures", "ignored", "other_head") is not None)
            ):
                kind = "other"
            if kind == "other" and head is not None:
                self._drop(
                    self._item_at("imaging", t.term, m, ctx, self.say("r_study_site_other", head=head.match.text))
                )
            else:
                (deposits if kind == "deposit" else region).setdefault(modality, []).append((t.term, m))
            return
        if t.list_name == "distributions" and (
            not self._qualifies_deposit(m, group) or _EXTENT.match(self.folded, m.match.end) is not None
        ):
            self._drop(self._item_at("imaging", t.term, m, ctx, self.say("r_distribution_not_deposit")))
            return
        owner = self._tissue_owner(m, group) if t.list_name == "tissues" else None
        if owner is not None:
            self._drop(
                self._item_at("imaging", t.term, m, ctx, self.say("r_study_tissue_other", head=owner.match.text))
            )
            return
        entry.add(t.list_name, t.term)
        kind_key = {
            "tissues": "r_kind_tissue",
            "patterns": "r_kind_pattern",
            "distributions": "r_kind_distribution",
        }
        item = self._item(
            "imaging",
            t.term,
            m.match.start,
            m.match.end,
            ctx,
            self.say("r_study_item", kind=self.say(kind_key[t.list_name]), how=how),
            {t.list_name: t.term},
        )
        self._item_study[id(item)] = modality
        self._keep(item)

    def _around_joint(self, entry: ImagingEntry, group: list[_Mention], modality: str, how: str) -> None:
        """Deposits placed around a joint are periarticular: "calcifications around the shoulder",
        "dépôts autour de la hanche", "calcifications en regard de l'articulation" (the joint
        named after the deposit word, in its clause, 50 characters at most)."""
        if "periarticular" in entry.tissues:
            return
        for dep in group:
            if dep.match.first("topic", "patterns") is None or dep.context.status not in ("present", "historical"):
                continue
            after = re.split(r"[.;]", self.folded[dep.match.end : dep.match.end + 50])[0]
            hit = _AROUND_JOINT.search(after)
            if hit is None:
                continue
            entry.add("tissues", "periarticular")
            a, z = dep.match.end + hit.start(), dep.match.end + hit.end()
            item = self._item(
                "imaging",
                "periarticular",
                a,
                z,
                dep.context,
                self.say("r_around_joint", words=self.text[a:z], how=how),
                {"tissues": "periarticular"},
            )
            self._item_study[id(item)] = modality
            self._keep(item)
            return

    def _tissue_owner(self, m: _Mention, group: list[_Mention]) -> _Mention | None:
        """The other finding a tissue word qualifies, written right against it: "dissection
        artérielle", "thrombose veineuse", "arterial occlusion", "ulcération cutanée". Such a
        tissue is that finding's (French adjectives follow their noun, English ones precede
        it), not the deposits'; a deposit or lesion word beside it keeps it the deposits'."""
        for other in group:
            if other is m or other.match.first(*_DEPOSIT_LISTS, "modalities") is not None:
                continue
            if other.match.first("findings", "conditions", "exposures", "other_head", "ignored") is None:
                continue
            if other.match.end <= m.match.start:
                gap = self.folded[other.match.end : m.match.start]
            elif other.match.start >= m.match.end:
                gap = self.folded[m.match.end : other.match.start]
            else:
                continue
            if re.fullmatch(r"[\s-]{0,2}", gap):
                return other
        return None

    # ---------------------------------------------------------------- conditions, exposures, findings, sites
    def concepts(self) -> None:
        for sentence, group in self.by_sentence.items():
            imaging_from = self.imaging_from.get(sentence)
            clinical = [m for m in group if imaging_from is None or m.match.start < imaging_from]
            has_modality = imaging_from is not None
            for m in group:
                if m.used:
                    continue
                in_imaging = has_modality and m not in clinical
                ctx = m.context
                topic = m.match.first("topic")
                if topic is not None and ctx.status == "family" and (denial := self._family_denied(m)) is not None:
                    # "pas d'antécédent familial de lésions semblables", "no family history of
                    # calcinosis": the family cue wins over the negation, but it is the history
                    # that is denied (a relative with no lesions is no item; the absence is one)
                    absent = Context("absent", denial)
                    self._place(
                        "absent",
                        "family_history_similar",
                        m,
                        absent,
                        self._reason(absent, self.say("r_family_similar", cue=ctx.cue.text if ctx.cue else "")),
                    )
                    continue
                if topic is not None and ctx.status == "family":
                    self._place(
                        "findings",
                        "family_history_similar",
                        m,
                        Context(),
                        self.say("r_family_similar", cue=ctx.cue.text if ctx.cue else ""),
                    )
                    continue
                own = m.match.first("findings")
                if own is not None and own.term == "family_history_similar" and ctx.status == "family":
                    # the term names the family itself ("pas d'antécédent familial similaire"): the
                    # family cue is its own word; a denial before it still denies it
                    denial = self._family_denied(m) or self._denied_before(m) or self._denied_after(m)
                    status = Context("absent", denial) if denial is not None else Context()
                    field = "absent" if denial is not None else "findings"
                    reason = self.say("r_family_similar", cue=ctx.cue.text if ctx.cue else "")
                    self._place(field, "family_history_similar", m, status, self._reason(status, reason))
                    continue
                neg = m.match.first("findings")
                if neg is not None and neg.kind == "negated_form":
                    if ctx.status in ("present", "historical"):
                        cue = Context(
                            "absent", Cue(kind="wording", text=m.match.text, start=m.match.start, end=m.match.end)
                        )
                        for t in m.match.targets:
                            if t.kind == "negated_form":
                                self._place("absent", t.term, m, cue, self.say("r_negative_form", words=m.match.text))
                        if neg.term == "pain":
                            self._painless_swelling(m, sentence)
                    m.used = True
                    continue
                function = m.match.first("function")
                if function is not None:
                    self._function(m, function.term, sentence)
                    continue
                concept = m.match.first("conditions", "exposures", "findings")
                if concept is not None and concept.kind == "growth" and self._attributive(m, group):
                    m.used = True  # "progressively increasing pain": the pain grows, not a mass
                    continue
                if concept is not None and concept.kind == "absent_only" and ctx.status != "absent":
                    m.used = True  # a class said present does not say which member (intake.yaml absent_only)
                    continue
                if concept is not None and concept.kind == "absent_only":
                    # denied, a class denies each of its members ("pas d'hyperparathyroïdie": neither kind)
                    for t in m.match.targets:
                        if t.kind == "absent_only" and t.term != concept.term:
                            self._concept(m, t.list_name, t.term)
                if concept is not None:
                    t = concept
                    if in_imaging and t.term in _NOT_CLINICAL_IN_IMAGING:
                        continue
                    if t.list_name == "findings" and self._names_seen_sign(m, group):
                        self._place(
                            "findings",
                            t.term,
                            m,
                            Context(),
                            self.say("r_sign_named", cue=ctx.cue.text if ctx.cue else "", words=m.match.text),
                        )
                        continue
                    self._concept(m, t.list_name, t.term)
                    site = m.match.first("sites")
                    if site is not None and ctx.status in ("present", "historical") and t.term in _LESION_FINDINGS:
                        self._place("sites", _clinical_site(site.term, t.term), m, ctx, self.say("r_site_lesions"))
                    continue
                site = m.match.first("sites")
                finer = self._finer_site_before(m, clinical) if site is not None and not in_imaging else None
                if site is not None and finer is not None:
                    m.used = True
                    self._drop(self._item_at("sites", site.term, m, ctx, self.say("r_site_complement", finer=finer)))
                    continue
                if site is not None and not in_imaging:
                    head = self._site_head(m, clinical)
                    if head is not None and ctx.status == "absent" and head.context.status != "absent":
                        # a site is where its finding is: "tuméfaction non mobilisable de la hanche"
                        # negates the mobility, not the hip; the site takes its head's status
                        ctx = head.context
                    lesion_kind = head is not None and _lesion_kind(head)
                    lesion = lesion_kind and head is not None and head.context.status in ("present", "historical")
                    if head is not None and not lesion_kind:
                        m.used = True
                        self._drop(
                            self._item_at("sites", site.term, m, ctx, self.say("r_site_other", head=head.match.text))
                        )
                    elif ctx.status in ("present", "historical") and lesion:
                        head_finding = head.match.first("findings") if head is not None else None
                        term = _clinical_site(site.term, head_finding.term if head_finding is not None else None)
                        self._place("sites", term, m, ctx, self.say("r_site_lesions"))
                        self.clinical_sites.setdefault(sentence, []).append((term, m))
                        if head is not None:
                            self._finding_at_site(head, term, m)
                    elif ctx.status in ("hypothetical", "family", "absent") and head is not None:
                        reason = self._reason(ctx, self.say("r_pl_not_placed"))
                        self._drop(self._item_at("sites", site.term, m, ctx, reason))
        self._composed()
        self._acute_shoulder()
        self._implied()

    def _family_denied(self, m: _Mention) -> Cue | None:
        """The denial written right before the family cue of ``m`` ("pas d'antécédent familial",
        "no family history of"), in the same sentence: the family history itself is denied."""
        cue = m.context.cue
        if cue is None or cue.start >= m.match.start or cue.start < m.sentence[0]:
            return None
        floor = max(m.sentence[0], cue.start - 40)
        denial = _DENIAL.search(self.folded[floor : cue.start])
        if denial is None:
            return None
        start = floor + denial.start()
        return Cue(kind="negation", text=self.text[start : cue.start].strip(), start=start, end=cue.start)

    def _denied_before(self, m: _Mention) -> Cue | None:
        """A denial right before the mention itself, in its sentence ("pas d'antécédent familial
        similaire", where the family cue is the mention's own words)."""
        floor = max(m.sentence[0], m.match.start - 40)
        denial = _DENIAL.search(self.folded[floor : m.match.start])
        if denial is None:
            return None
        start = floor + denial.start()
        return Cue(kind="negation", text=self.text[start : m.match.start].strip(), start=start, end=m.match.start)

    def _denied_after(self, m: _Mention) -> Cue | None:
        """A denial right after the mention ("her family history is unremarkable", "antécédents
        familiaux : néant"), in its sentence."""
        hit = _DENIED_AFTER.match(self.folded, m.match.end, min(m.sentence[1], m.match.end + 40))
        if hit is None:
            return None
        return Cue(kind="negation", text=self.text[hit.start() : hit.end()].strip(), start=hit.start(), end=hit.end())

    def _finer_site_before(self, m: _Mention, group: list[_Mention]) -> str | None:
        """The finer site a coarser one completes: "the distal phalanx of the second and third
        fingers", "pulpe des doigts de la main droite", "the eyelids of the face" name one place,
        the finer (the coarser site only says where it is). Returns the finer site's words."""
        site = m.match.first("sites")
        assert site is not None
        aspect = self._aspect_of(m, group)
        if aspect is not None:
            return aspect
        parts = _PART_OF.get(site.term, set())
        for other in group:
            t = other.match.first("sites")
            if t is None or other.match.end > m.match.start or (t.term not in parts and t.term != site.term):
                continue
            between = self.folded[other.match.end : m.match.start]
            if _COMPLEMENT.fullmatch(between) and (t.term in parts or self._finer_site_before(other, group)):
                return other.match.text
        return None

    def _aspect_of(self, m: _Mention, group: list[_Mention]) -> str | None:
        """The site whose side a position noun names: "the backs of both hands", "the back and
        inner side of the right ankle", "le dos de la main" are a side of the hand or the ankle,
        not the back. Returns the site's words."""
        if fold(m.match.text) not in _ASPECT_NOUNS:
            return None
        for other in group:
            if other.match.start < m.match.end or other.match.first("sites") is None:
                continue
            if _ASPECT_OF.fullmatch(self.folded[m.match.end : other.match.start]):
                return other.match.text
            return None
        return None

    def refine_swellings(self) -> None:
        """A swelling the note qualifies is the finding its qualifier names (round 3, structural).

        The gold cases code a swelling by what the note says of it, in either word order and
        language: "a painless, subcutaneous swelling", "painless right pre-auricular lump",
        "masse ... indolore" are ``painless_swelling``; a swelling placed at a joint
        ("peri-articular swellings", "masses around the left shoulder", "tuméfaction ... en
        regard de l'articulation coxo-fémorale", "masse ... péri articulaire") is
        ``periarticular_mass``. The refined term replaces the generic ``swelling``, which is
        set aside with the reason (it would count the same swelling twice)."""
        pain_free = {fold(w) for w in intake_data()["negated_forms"]["findings"]["pain"]}
        cue = (
            r"(?<![\w-])(?:"
            + "|".join(re.escape(w).replace(r"\ ", r"[\s-]+") for w in sorted(pain_free, key=len, reverse=True))
            + r")(?![\w-])"
        )
        for sentence, group in self.by_sentence.items():
            imaging_from = self.imaging_from.get(sentence)
            for m in group:
                finding = m.match.first("findings")
                if finding is None or finding.term != "swelling" or m.context.status not in ("present", "historical"):
                    continue
                if imaging_from is not None and m.match.start >= imaging_from:
                    continue
                # the qualifier inside the swelling's own clause: the words before it up to a
                # full stop or semicolon (adjectives are listed with commas), 90 characters at most
                before = self.folded[max(sentence[0], m.match.start - 90) : m.match.start]
                before = re.split(r"[.;:]", before)[-1]
                said = re.search(cue, before)
                if said is not None and not _SWELLING_WORD.search(before):
                    quoted = self.text[m.match.start - len(before) + said.start() : m.match.end]
                    self._place(
                        "findings", "painless_swelling", m, Context(), self.say("r_painless_swelling", words=quoted)
                    )
                elif (denied := self._pain_denied_after(m, group)) is not None:
                    quoted = self.text[m.match.start : denied.match.end]
                    self._place(
                        "findings", "painless_swelling", m, Context(), self.say("r_painless_swelling", words=quoted)
                    )
                around = self.folded[sentence[0] : sentence[1]]
                joint = _PERIARTICULAR.search(around)
                hard = _HARD_LUMP.search(before + self.folded[m.match.start : m.match.end])
                if joint is None and said is None and hard is not None and not _SWELLING_WORD.search(before):
                    self._place(
                        "findings",
                        "palpable_nodules",
                        m,
                        Context(),
                        self.say("r_stated", placed=self._placed_field("findings")),
                    )
                if joint is not None:
                    self._place(
                        "findings",
                        "periarticular_mass",
                        m,
                        Context(),
                        self.say(
                            "r_periarticular",
                            words=m.match.text,
                            cue=self.text[sentence[0] + joint.start() : sentence[0] + joint.end()],
                        ),
                    )
        refined = [
            t for t in ("painless_swelling", "periarticular_mass", "palpable_nodules") if t in self.lists["findings"]
        ]
        if refined and "swelling" in self.lists["findings"]:
            self.lists["findings"].remove("swelling")
            for item in [i for i in self.items if i.field == "findings" and i.term == "swelling"]:
                self.items.remove(item)
                self._drop(item.model_copy(update={"reason": self.say("r_swelling_refined", by=", ".join(refined))}))

    def _pain_denied_after(self, m: _Mention, group: list[_Mention]) -> _Mention | None:
        """A pain denied after the swelling, in its sentence, with no other swelling or lesion
        between them: "the swelling did not appear painful", "tuméfaction dure ; l'enfant ne
        semble pas algique". The predicate says what the swelling is: painless."""
        for other in group:
            if other.match.start <= m.match.end:
                continue
            finding = other.match.first("findings")
            if other is not m and _lesion_kind(other) and (finding is None or finding.term != "pain"):
                return None  # another lesion takes over the sentence
            if finding is not None and finding.term == "pain" and other.context.status == "absent":
                between = self.folded[m.match.end : other.match.start]
                return None if _SWELLING_WORD.search(between) else other
        return None

    def _names_seen_sign(self, m: _Mention, group: list[_Mention]) -> bool:
        """A sign named after the lesions it describes is seen, not supposed.

        "shiny erythematous papules on the knuckles suggestive of Gottron's papule", "violaceous
        rashes on both eyelids consistent with heliotrope rashes", "papules ... évocatrices de
        papules de Gottron": the hypothesis cue qualifies the naming, the lesions are in front
        of the examiner. A condition (a diagnosis) after the same cue stays hypothetical."""
        ctx = m.context
        if ctx.status != "hypothetical" or ctx.cue is None or ctx.cue.end > m.match.start:
            return False
        if not _NAMING_CUE.fullmatch(fold(ctx.cue.text).strip()):
            return False
        if (
            self.folded[ctx.cue.end : m.match.start].strip(" ,'’")
            and len(self.folded[ctx.cue.end : m.match.start]) > 12
        ):
            return False
        return any(
            o is not m
            and o.match.end <= ctx.cue.start
            and o.match.start >= m.sentence[0]
            and (o.match.first("lesion", "topic") is not None or _is_lesion(o))
            for o in group
        )

    def _finding_at_site(self, head: _Mention, site: str, m: _Mention) -> None:
        """A finding at a site that has a term of its own (intake.yaml ``site_findings``): pain
        of the shoulder is shoulder pain, nodules of the scrotum are scrotal nodules."""
        spec = intake_data().get("site_findings", {})
        a, z = (
            sorted((head.match.end, m.match.start))
            if head.match.end <= m.match.start
            else (m.match.end, head.match.start)
        )
        if z - a > 30 or "," in self.text[a:z]:  # the site said right with its finding, not further on
            return
        words = [t.term for t in head.match.targets if t.list_name in ("findings", "lesion")]
        targets = [spec.get(word, {}).get(site) for word in words]
        acute = intake_data().get("acute_site_findings", {})
        if acute.get("finding") in words and site in acute.get("sites", []):
            lo = max(head.sentence[0], min(head.match.start, m.match.start) - 40)
            clause = self.folded[lo : min(head.sentence[1], max(head.match.end, m.match.end) + 20)]
            if any(re.search(r"(?<!\w)" + re.escape(fold(w)) + r"(?!\w)", clause) for w in acute.get("words", [])):
                targets.append(acute["result"])
        for target in targets:
            if target is not None and target not in self.lists["findings"]:
                self._keep(
                    self._item(
                        "findings",
                        target,
                        min(head.match.start, m.match.start),
                        max(head.match.end, m.match.end),
                        Context(),
                        self.say("r_site_finding", finding=head.match.text, site=m.match.text),
                    )
                )
                self.lists["findings"].append(target)

    def _painless_swelling(self, m: _Mention, sentence: tuple[int, int]) -> None:
        """ "Tuméfaction scrotale, prurigineuse, indolore": a swelling said to be painless, in the
        same clause list (the knowledge base's painless_swelling; a painless nodule is not one)."""
        before = self.folded[max(sentence[0], m.match.start - 60) : m.match.start]
        if "." in before:
            before = before.rsplit(".", 1)[1]
        if re.search(r"(?<!\w)(?:tumefactions?|masses?|gonflements?|swellings?|lumps?)(?!\w)", before):
            self._place(
                "findings", "painless_swelling", m, Context(), self.say("r_painless_swelling", words=m.match.text)
            )

    def _function(self, m: _Mention, finding: str, sentence: tuple[int, int]) -> None:
        """A function said normal (the finding is absent) or limited (the finding is present)."""
        spec = intake_data()["functions"]
        m.used = True
        if m.context.status in ("hypothetical", "family"):
            return
        before = self.folded[max(sentence[0], m.match.start - 30) : m.match.start]
        nxt = min(
            [
                o.match.start
                for o in self.by_sentence[sentence]
                if o.match.first("function") and o.match.start > m.match.start
            ]
            + [sentence[1], m.match.end + 80]
        )
        after = self.folded[m.match.end : nxt]
        for state, field in (("limited", "findings"), ("normal", "absent")):
            for w in sorted(spec[state], key=len, reverse=True):
                body = r"(?<!\w)" + re.escape(fold(w)).replace(r"\ ", r"\s+") + r"(?!\w)"
                said = re.search(body + r"(?:\s+(?:a|an|the|une?|la|le|de|des|du|d'|in|of|on|en))*\s*$", before)
                said_at = m.match.start - len(before) + said.start() if said is not None else None
                if said_at is None and (later := re.search(body, after)) is not None:
                    said_at = m.match.end + later.start()
                if said_at is not None:
                    denial = self._state_denied(m, said_at, sentence)
                    if denial is not None:  # "no restriction of movement", "not limited": the other field
                        field = "absent" if field == "findings" else "findings"
                    ctx = (
                        Context()
                        if field == "findings"
                        else Context(
                            "absent",
                            denial or Cue(kind="wording", text=m.match.text, start=m.match.start, end=m.match.end),
                        )
                    )
                    self._place(
                        field,
                        finding,
                        m,
                        ctx,
                        self.say(
                            "r_function_state", words=m.match.text, state=w, field=self.say(f"status_{ctx.status}")
                        ),
                    )
                    return

    def _attributive(self, m: _Mention, group: list[_Mention]) -> bool:
        """Whether a growth verb qualifies another word written right against it, before
        ("progressively increasing pain", "rapidly increasing creatinine") or after it
        ("douleur augmentant progressivement"): a finding that is not a lesion, a test, a
        condition. Against a lesion ("progressively enlarging swelling") or a site ("thigh mass
        progressively enlarging") it still says the mass grows."""
        for o in group:
            if o is m:
                continue
            gap = (
                self.folded[m.match.end : o.match.start]
                if o.match.start >= m.match.end
                else self.folded[o.match.end : m.match.start]
                if o.match.end <= m.match.start
                else "x"
            )
            if not re.fullmatch(r"[\s-]*", gap):
                continue
            finding = o.match.first("findings")
            if finding is not None and finding.term in _LESION_FINDINGS - {"pain"}:
                continue
            if o.match.first("lesion", "topic") is None and (
                finding is not None or o.match.first("labs", "lab_state", "conditions", "exposures") is not None
            ):
                return True
        return False

    def _state_denied(self, m: _Mention, at: int, sentence: tuple[int, int]) -> Cue | None:
        """The negation of the state word said of a function at ``at``, if any.

        "did not experience any restrictions in the movement", "no limitation of range of
        motion", "sans limitation de la mobilité", "range of motion was not limited": the
        negation denies the state, so a limited function is not a finding but an absence. The
        negative word stands right before the state word (a few words such as "any", "de" between
        them), or it is the negation cue of the function's own clause ("no swelling or restriction
        of movement"; no comma, "and" or "with" between: "no fever and limited motion")."""
        window = re.split(r"[,.;:]", self.folded[max(sentence[0], at - 40) : at])[-1]
        near = _DENIAL.search(window)
        if near is not None:
            a = at - len(window) + near.start()
            return Cue(
                kind="negation",
                text=self.text[a : a + len(near.group().rstrip())],
                start=a,
                end=a + len(near.group().rstrip()),
            )
        cue = m.context.cue
        if (
            m.context.status == "absent"
            and cue is not None
            and cue.end <= at
            and at - cue.end <= 40
            and not re.search(r"[,.;:]|(?<!\w)(?:and|et|with|avec|but|mais)(?!\w)", self.folded[cue.end : at])
        ):
            return cue
        return None

    def _composed(self) -> None:
        """A sign described by its parts (intake.yaml ``composed_findings``): a skin lesion stated
        as present, a colour word within 40 characters of it and a place word within 100, in
        its sentence ("violaceous patches ... in a periocular distribution": heliotrope rash)."""
        for finding, spec in intake_data().get("composed_findings", {}).items():
            if finding in self.lists["findings"] or finding in self.lists["absent"]:
                continue
            colours, places = _words_re(tuple(spec["colours"])), _words_re(tuple(spec["places"]))
            for m in self.mentions:
                if m.context.status not in ("present", "historical") or not (
                    m.match.first("lesion") is not None or re.match(r"erythem|eruption|rash", fold(m.match.text))
                ):
                    continue
                a, z = m.sentence
                colour = colours.search(self.folded, max(a, m.match.start - 40), min(z, m.match.end + 40))
                place = places.search(self.folded, max(a, m.match.start - 100), min(z, m.match.end + 100))
                if colour is None or place is None:
                    continue
                lo, hi = min(m.match.start, colour.start(), place.start()), max(m.match.end, colour.end(), place.end())
                words = self.text[lo:hi]
                self.lists["findings"].append(finding)
                self._keep(
                    self._item(
                        "findings", finding, lo, hi, Context(), self.say("r_composed", words=words, term=finding)
                    )
                )
                if spec.get("own_sites"):
                    self._sign_sites(finding, (a, z), places)
                break

    def _sign_sites(self, finding: str, sentence: tuple[int, int], places: re.Pattern[str]) -> None:
        """The places that define a sign ("periocular", "eyelid" of a heliotrope rash) are the
        sign's, not sites of the calcinosis: set aside, with the reason."""
        for item in [i for i in self.items if i.field == "sites" and sentence[0] <= i.start < sentence[1]]:
            if places.fullmatch(self.folded, item.start, item.end) is None:
                continue
            self.items.remove(item)
            if not any(i.field == "sites" and i.term == item.term for i in self.items):
                self.lists["sites"].remove(item.term)
            self._drop(item.model_copy(update={"reason": self.say("r_site_other", head=finding)}))

    def _acute_shoulder(self) -> None:
        """A shoulder pain said to be acute in its clause ("acute on chronic right shoulder pain")
        is also an acute joint pain (intake.yaml ``acute_site_findings``; a pain and a joint said
        apart are read in ``_finding_at_site``)."""
        acute = intake_data().get("acute_site_findings", {})
        result = acute.get("result")
        if not result or result in self.lists["findings"]:
            return
        for item in [i for i in self.items if i.field == "findings" and i.term == "shoulder_pain"]:
            a, b = _sentence_of(self.sentences, item.start)
            clause = self.folded[max(a, item.start - 40) : min(b, item.end + 20)]
            if any(re.search(r"(?<!\w)" + re.escape(fold(w)) + r"(?!\w)", clause) for w in acute.get("words", [])):
                self.lists["findings"].append(result)
                self._keep(
                    item.model_copy(update={"term": result, "reason": self.say("r_acute_pain", words=item.text)})
                )
                return

    def _implied(self) -> None:
        """Items that another item implies (intake.yaml ``implies``), with the reason."""
        for source, spec in intake_data().get("implies", {}).items():
            fields = [f for f in ("history", "exposures", "findings") if source in self.lists[f]]
            target = str(spec["term"])
            if not fields or any(target in self.lists[f] for f in ("history", "exposures", "findings", "absent")):
                continue
            item = next(i for i in self.items if i.term == source and i.field == fields[0])
            field = next(
                _FIELD_OF[n] for n in ("conditions", "exposures", "findings") if target in self.kb.vocabulary.lists[n]
            )
            self.lists[field].append(target)
            self._keep(
                item.model_copy(
                    update={
                        "field": field,
                        "term": target,
                        "reason": self.say(
                            "r_implied", by=item.text, why=spec["why"]["fr" if self.ui == "fr" else "en"]
                        ),
                    }
                )
            )

    def _concept(self, m: _Mention, list_name: str, term: str) -> None:
        ctx = m.context
        m.used = True
        if not self._in_its_context(m, term):
            self._drop(self._item_at(_FIELD_OF[list_name], term, m, ctx, self.say("r_out_of_context")))
        elif ctx.status in ("hypothetical", "family"):
            self._drop(
                self._item(
                    _FIELD_OF[list_name],
                    term,
                    m.match.start,
                    m.match.end,
                    ctx,
                    self._reason(ctx, self.say("r_pl_not_placed")),
                )
            )
        elif ctx.status == "absent":
            self._place("absent", term, m, ctx, self._reason(ctx, self.say("r_pl_absent")))
        elif ctx.status == "present" and not self._known_before(m, term):
            # "hypercalcaemia (calcium 3.1 mmol/L)" found at this presentation is the lab's level
            self._drop(self._item_at(_FIELD_OF[list_name], term, m, ctx, self.say("r_found_now")))
        else:
            self._place(
                _FIELD_OF[list_name],
                term,
                m,
                ctx,
                self._reason(ctx, self._placed_field(list_name)),
            )

    def _in_its_context(self, m: _Mention, term: str) -> bool:
        """Whether a spelling that names ``term`` only in a note about its cause (intake.yaml
        ``context_bound``: confusion or nausea as symptoms of hypercalcaemia) is in such a note,
        and said present: a denied symptom does not deny all of them."""
        spec = intake_data().get("context_bound", {}).get(term)
        if spec is None or fold(m.match.text) not in {fold(w) for w in spec.get("spellings", [])}:
            return True
        return m.context.status in ("present", "historical") and any(
            fold(w) in self.folded for w in spec.get("note_has", [])
        )

    def _known_before(self, m: _Mention, term: str) -> bool:
        """Whether a condition that is also a lab finding (intake.yaml ``known_only``: known
        hypercalcaemia) is said to be known before this presentation: a word of chronicity or
        of the past in its sentence ("chronic", "persistent for a year", "connue", "previous
        admissions"). Without one, the word names what the work-up found now."""
        spec = intake_data().get("known_only", {})
        if term not in spec.get("terms", []):
            return True
        a, b = _sentence_of(self.sentences, m.match.start)
        clause = self.folded[max(a, m.match.start - 80) : min(b, m.match.end + 80)]
        return any(re.search(r"(?<!\w)" + re.escape(fold(w)) + r"(?!\w)", clause) for w in spec.get("cues", []))

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
            self._keep(self._item("patient", "age", age.start, age.end, Context(), self.said(age.reason), age.years))
        sex = measure.find_sex(self.text, self.lang)
        if sex is not None:
            self.patient_data["sex"] = sex.sex
            self._keep(self._item("patient", "sex", sex.start, sex.end, Context(), self.said(sex.reason), sex.sex))
        else:
            self.patient_data["sex"] = "unknown"
        meno = re.search(
            r"\b(?:m[ée]nopaus[ée]e|post-?m[ée]nopaus\w*|post-?menopausal)\b", self.text[:20_000], re.IGNORECASE
        )
        if meno is not None and self.patient_data.get("sex") == "female":
            before = self.folded[max(0, meno.start() - 20) : meno.start()]
            if not re.search(r"\b(?:non|pas|not|pre)\b", before):
                self.patient_data["postmenopausal"] = True
                self._keep(
                    self._item(
                        "patient",
                        "postmenopausal",
                        meno.start(),
                        meno.end(),
                        Context(),
                        self.say("r_stated_plain"),
                        True,
                    )
                )

    def duration(self) -> None:
        """The duration of the presenting problem: in a sentence about the lesions, or in the
        sentence that says why the patient came ("presented with ... for last two months",
        "evaluation of a 3 week history of ... wounds", "consulte pour ... depuis 4 mois"): what
        a patient presents with is the problem the case is about, whatever words name it."""
        lesion_sentences = sorted(
            {m.sentence for m in self.mentions if _is_lesion(m) or _presenting_pain(m)}
            | {s for s in self.sentences if _PRESENTATION.search(self.folded[s[0] : s[1]])}
        )
        found = measure.find_duration(
            self.text,
            self.lang,
            lesion_sentences,
            age=self.patient_data.get("age"),
            owned=self._owned_spans(),
        )
        if found is not None:
            self.duration_months = found.months
            self._keep(
                self._item(
                    "duration_months",
                    "duration_months",
                    found.start,
                    found.end,
                    Context(),
                    self.said(found.reason),
                    found.months,
                )
            )

    def _owned_spans(self) -> list[tuple[int, int]]:
        """Where a duration belongs to a condition or a treatment, not to the lesions.

        "receiving hemodialysis for five years" (the nearest mention before the duration, in the
        same clause, is a condition or an exposure), and "a four-year history of dermatomyositis"
        (the history is of what is named right after it)."""
        out: list[tuple[int, int]] = []
        for found in measure.find_durations(self.text, self.lang):
            sentence = _sentence_of(self.sentences, found.start)
            group = [
                m
                for m in self.by_sentence.get(sentence, [])
                if m.match.first("labs", "lab_group", "lab_state", "derived") is None
            ]
            before = [m for m in group if m.match.end <= found.start]
            after = [m for m in group if m.match.start >= found.end]
            owner = before[-1] if before and "," not in self.folded[before[-1].match.end : found.start] else None
            if re.match(r"\s*(?:of|de|d['’])\s*", self.folded[found.end : found.end + 5]):
                owner = after[0] if after and after[0].match.start - found.end < 40 else None
            if (
                owner is not None
                and owner.match.first("conditions", "exposures") is not None
                and (owner.match.first("findings", "topic", "lesion", "sites") is None)
            ):
                out.append((found.start, found.end))
        return out

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
                    why=self.say("r_unknown_word"),
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
                        why=self.say("r_unknown_after", trigger=trigger),
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
            hit = re.match(r"imaging\[(\d+)\]\.size_cm", loc)
            if hit:
                study = list(self.studies.values())[int(hit.group(1))]
                study.size_cm = None
                removed = True
                break
        return removed
