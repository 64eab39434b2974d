"""What the readers of a note share: a mention and its sentence, the words and patterns the
readers test, and the base of the reader classes (the state, the reasons, placing an item).

Split from ``_assemble`` (one reader per module: ``_labs_reader``, ``_imaging_reader``,
``_concepts_reader``, ``_patient_reader``); the placement rules are in ``_assemble``'s docstring.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from typing import Any

from calcinosis.intake.context import Context
from calcinosis.intake.imaging import ImagingEntry
from calcinosis.intake.language import say
from calcinosis.intake.lexicon import (
    Lexicon,
    Match,
    Target,
    fold,
    intake_cached,
    intake_data,
)
from calcinosis.intake.result import ExtractedItem, NotUnderstood
from calcinosis.kb.model import KnowledgeBase

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
_BINDING_PREPOSITIONS = {
    "", "of", "on", "at", "in", "over", "sur", "au", "aux", "a", "dans", "en",
    # containment and course: "an ossification within the right Achilles tendon", "along the fibres"
    "within", "inside", "into", "along", "throughout", "beneath", "under", "underneath",
    "au niveau", "au niveau de", "au niveau du", "au niveau des", "le long", "le long de", "le long du",
}  # fmt: skip
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
    "digital_ulcers", "pain", "local_infection", "retiform_purpura", "yellow_papules_flexures",
}  # fmt: skip


@dataclass
class _Mention:
    match: Match
    context: Context
    sentence: tuple[int, int]
    used: bool = False


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
@functools.lru_cache(maxsize=256)
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


class Reader:
    """The state every reader of a note shares, and the helpers that place an item with its
    reason. The readers (labs, imaging, concepts, patient) are mixins of it; ``_assemble``
    composes them and builds the case."""

    def __init__(
        self,
        text: str,
        kb: KnowledgeBase,
        lang: str,
        mentions: list[_Mention],
        sentences: list[tuple[int, int]],
        *,
        lexicon: Lexicon,
        ui: str = "en",
    ) -> None:
        self.lexicon = lexicon  # the one the note's mentions were found with
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
        # the places of pains said with no lesion: (site, its mention, its context, the pain)
        self.pain_sites: list[tuple[str, _Mention, Context, _Mention]] = []
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

    def _place(self, field: str, term: str, m: _Mention, ctx: Context, reason: str) -> None:
        m.used = True
        self._keep(self._item(field, term, m.match.start, m.match.end, ctx, reason))
        if term not in self.lists[field]:
            self.lists[field].append(term)
