"""Conditions, exposures, findings and clinical sites read from a note, with their context
(negated, hypothetical, about a relative, past).
"""

from __future__ import annotations

import re
from typing import Any

from calcinosis.i18n import decimal
from calcinosis.intake._reader import (
    _BINDING_PREPOSITIONS,
    _BODY_REGION,
    _DENIAL,
    _DENIED_AFTER,
    _FIELD_OF,
    _HARD_LUMP,
    _LESION_FINDINGS,
    _NAMING_CUE,
    _NOT_CLINICAL_IN_IMAGING,
    _PERIARTICULAR,
    _SWELLING_WORD,
    Reader,
    _clinical_site,
    _is_lesion,
    _lesion_kind,
    _Mention,
    _run_joiner,
    _sentence_of,
    _words_re,
)
from calcinosis.intake.context import Context
from calcinosis.intake.lexicon import (
    fold,
    intake_cached,
    intake_data,
)
from calcinosis.intake.result import Cue

_LOCAL_ONLY = ("surgery_local", "trauma_local")
# the pains (a finding that is not a lesion): their place is a lesion site only with a lesion there
_PAINS = frozenset({"pain", "shoulder_pain", "acute_joint_pain"})


def _pain_only(m: _Mention) -> bool:
    """A pain said by itself: its words name a pain and no lesion ("epigastric pain", "painful",
    "douleurs", not "tuméfaction douloureuse" nor "painful nodule" read as one mention)."""
    finding = m.match.first("findings")
    if finding is None or finding.term not in _PAINS or m.match.first("topic", "lesion") is not None:
        return False
    return not any(t.list_name == "findings" and t.term not in _PAINS for t in m.match.targets)


@intake_cached
def _found_now_spellings() -> frozenset[str]:
    """intake.yaml ``known_only.spellings``, folded (looked up for every condition mention)."""
    return frozenset(fold(s) for s in intake_data().get("known_only", {}).get("spellings", []))


def _says_any(folded_text: str, words: list[str]) -> bool:
    """Whether one of ``words`` stands as a whole word (or phrase) in ``folded_text``."""
    return bool(words) and _words_re(tuple(words)).search(folded_text) is not None


@intake_cached
def _dose_patterns() -> dict[str, tuple[re.Pattern[str], re.Pattern[str]]]:
    """For each exposure said by its dose (intake.yaml ``dose_exposures``): the drug's name and a
    dose in its unit in one clause, either order; and the words that make the dose a daily one."""
    # a number starts where no digit precedes and takes its digits without giving any back: a
    # run of 100,000 digits was tried from each of its places and each length (minutes of work)
    number = r"(?<!\d)(?<!\d[,.])(?:\d{1,3}(?:[ ,.\u202f\u00a0]\d{3})++(?!\d)|\d++)"
    out = {}
    for term, spec in intake_data().get("dose_exposures", {}).items():
        names, units = _words_re(tuple(spec["names"])).pattern, _words_re(tuple(spec["units"])).pattern
        unit = r"\s*" + units
        dose = re.compile(
            rf"{names}[^.;]{{0,40}}?(?P<after>{number}){unit}|(?P<before>{number}){unit}[^.;]{{0,25}}?{names}"
        )
        out[term] = (dose, _words_re(tuple(spec["daily_words"])))
    return out


# a duration said of a treatment: "depuis 2 ans", "for four years", "pendant six mois"
_DURATION = re.compile(
    r"(?<!\w)(?:depuis|for|over|pendant|durant|since)\s+(?:(?:the\s+)?(?:past|last)\s+)?"
    r"(?:(?:about|approximately|around|nearly|almost|more\s+than|over|environ|pres\s+de|plus\s+de|presque)\s+)?"
    r"(?P<count>\d+|plusieurs|several|many|two|three|four|five|six|ten|deux|trois|quatre|cinq|six|dix)\s+"
    r"(?P<unit>ans|annees|years?|mois|months?)(?!\w)"
)
_COUNT_WORDS = {"two": 2, "deux": 2, "three": 3, "trois": 3, "four": 4, "quatre": 4, "five": 5, "cinq": 5}


def _interval_days(spec: dict[str, Any], folded: str) -> int | None:
    """How many days apart a dose is taken, by the first interval the text says (intake.yaml
    ``dose_exposures``: "weekly", "par mois", "every 3 months", "tous les deux mois"), or None."""
    found: list[tuple[int, int]] = []
    for days, words in spec.get("interval_words", {}).items():
        hit = _words_re(tuple(words)).search(folded)
        if hit is not None:
            found.append((hit.start(), int(days)))
    counts = {fold(k): int(v) for k, v in spec.get("interval_counts", {}).items()}
    units = {fold(k): int(v) for k, v in spec.get("interval_units", {}).items()}
    every = "|".join(re.escape(fold(w)).replace(r"\ ", r"\s+") for w in spec.get("interval_every", [])) or "(?!)"
    pattern = rf"(?<!\w)(?:{every})\s+(\d+|[a-z]+)\s+([a-z]+)(?!\w)"
    for m in re.finditer(pattern, folded):
        count = int(m.group(1)) if m.group(1).isdigit() else counts.get(m.group(1))
        unit = units.get(m.group(2))
        if count and unit:
            found.append((m.start(), count * unit))
    return min(found)[1] if found else None


def _ruled_out_cues() -> list[str]:
    """The negation cues that say the work-up excluded something (intake.yaml ``ruled_out``)."""
    return list(intake_data().get("ruled_out", []))


@intake_cached
def _product_contents() -> dict[str, dict[str, str]]:
    """intake.yaml ``product_contents``: what a product named in a note holds, by its folded
    name ("rennie": calcium carbonate and magnesium carbonate, an antacid)."""
    out: dict[str, dict[str, str]] = {}
    for entry in intake_data().get("product_contents", []):
        for name in entry["names"]:
            out[fold(name)] = {"en": str(entry["en"]), "fr": str(entry["fr"])}
    return out


@intake_cached
def _test_named_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """intake.yaml ``test_named``: a test word right after a name, one right before it (an
    article between at most), any test word inside a name's own words, and the first result
    word of a clause (group ``normal`` or ``other``)."""
    spec = intake_data().get("test_named", {})
    after, before = tuple(spec.get("after", [])) or ("\0",), tuple(spec.get("before", [])) or ("\0",)
    articles = "|".join(re.escape(fold(a)) for a in spec.get("articles", [])) or "\0"
    right_after = re.compile(r"[\s-]*" + _words_re(after).pattern)
    # "bilan d'" ends in an apostrophe, no word boundary after it: the article or the name follows at once
    cue = "|".join(
        re.escape(fold(w)).replace(r"\ ", r"\s+") + ("" if w[-1] in "'’" else r"(?!\w)")
        for w in sorted(before, key=len, reverse=True)
    )
    right_before = re.compile(r"(?<!\w)(?:" + cue + r")\s*(?:(?:" + articles + r")(?:\s+|(?<=['’])))?\s*$")
    inside = _words_re(after + before)
    normal, other = tuple(spec.get("normal", [])) or ("\0",), tuple(spec.get("other", [])) or ("\0",)
    result = re.compile("(?P<normal>" + _words_re(normal).pattern + ")|(?P<other>" + _words_re(other).pattern + ")")
    return right_after, right_before, inside, result


def _said_acute(folded_clause: str) -> bool:
    """Whether a clause says its pain is acute (intake.yaml ``acute_site_findings`` words)."""
    return _says_any(folded_clause, intake_data().get("acute_site_findings", {}).get("words", []))


class ConceptReader(Reader):
    """Places conditions, exposures, findings and the lesions' sites, each with why."""

    # ---------------------------------------------------------------- conditions, exposures, findings, sites
    def concepts(self) -> None:
        products: list[tuple[_Mention, str]] = []
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
                # a product named (intake.yaml unplaced_products) wins over the same word as a case
                # alias of the vocabulary ("prednisone" is an alias of long-term corticosteroids)
                product = next((t for t in m.match.targets if t.kind == "unplaced_product"), None)
                if product is not None:
                    m.used = True  # a supplement by its brand: set aside after the doses (_unplaced_products)
                    products.append((m, product.term))
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
                        if _pain_only(m) and not self._lesion_there(m, clinical):
                            # "neck pain", "cervicalgie": the pain's place; a lesion site only where the note places deposits
                            self.pain_sites.append((site.term, m, ctx, m))
                            continue
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
                    if head is None and ctx.status in ("present", "historical") and self._refers_back(sentence):
                        lesion = True  # "They were located on the elbows": the lesions just described
                    if lesion and head is not None and _pain_only(head) and not self._lesion_there(m, clinical):
                        # "epigastric pain", "douleurs abdominales": the place of a pain, a lesion
                        # site only where the note places deposits (settle_pain_sites; a clinician
                        # review: the engine counted the abdomen as where they are); a pain with a
                        # term of its own there is still that finding
                        m.used = True
                        self._finding_at_site(head, site.term, m)
                        self.pain_sites.append((site.term, m, ctx, head))
                        continue
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
        self._dose_exposures()
        self._unplaced_products(products)
        self._implied()

    def _lesion_there(self, site: _Mention, group: list[_Mention]) -> bool:
        """Whether the sentence of a pain also speaks of lesions it may place at the pain's site:
        "painful nodules of the elbow", "pain and swelling of the knee", "nodules fermes
        douloureux ... siégeant aux épaules". A lesion bound to another site is that site's
        ("abdominal pain and calcified nodules on both thighs")."""
        sites = [o for o in group if o.match.first("sites") is not None]
        for o in group:
            if o is site or not _is_lesion(o) or _pain_only(o):
                continue
            # the lesion's phrase: the lesion words written together ("calcified nodules")
            end = o.match.end
            for nxt in sorted(group, key=lambda x: x.match.start):
                if (
                    nxt.match.start >= end
                    and re.fullmatch(r"[\s-]*", self.folded[end : nxt.match.start])
                    and _lesion_kind(nxt)
                    and not _pain_only(nxt)
                ):
                    end = nxt.match.end
            if any(s is not site and self._bound(o, s, end) for s in sites):
                continue
            return True
        return False

    def _bound(self, lesion: _Mention, site: _Mention, end: int) -> bool:
        """Whether a lesion and a site are written as one place: the site right after the lesion
        with a binding preposition ("nodules of the elbow", "masse sur la cuisse") or right before
        it ("elbow nodules", "abdominal wall calcification"); ``end``: where
        the lesion's phrase ends ("calcified nodules on the thighs")."""
        if end <= site.match.start:
            return _run_joiner(self.folded[end : site.match.start]) in _BINDING_PREPOSITIONS
        if site.match.end <= lesion.match.start:
            return re.fullmatch(r"[\s-]*", self.folded[site.match.end : lesion.match.start]) is not None
        return False

    def settle_pain_sites(self) -> None:
        """The place of a pain said with no lesion in its sentence ("epigastric pain", "douleurs
        abdominales", "right hip pain for a month") is a site of the lesions only where the note
        places deposits: a lesion site read elsewhere, or a study's site, the same or one above
        or below it in the vocabulary's tree (the hip of "hip pain" whose radiograph shows
        calcification of the hip). Elsewhere it is where the pain is felt, set aside with the
        reason (a clinician review: the engine counted the abdomen of an abdominal pain as where
        the deposits are). Run after the studies' sites are settled."""
        vocab = self.kb.vocabulary
        deposits = set(self.lists["sites"]) | {s for study in self.studies.values() for s in study.sites}
        near = {r for s in deposits for r in vocab.related_sites(s)}
        # a limb's or the head's neighbouring places: the buttock of a pain whose CT shows the
        # posterior thigh, the hand of a pain whose radiograph shows the wrist (not the trunk:
        # an abdominal pain is not where chest-wall deposits are)
        regions = {_BODY_REGION.get(s) for s in deposits} - {None, "trunk"}
        for term, m, ctx, head in self.pain_sites:
            if term in near or _BODY_REGION.get(term) in regions:
                self._place("sites", term, m, ctx, self.say("r_site_pain_kept", head=head.match.text))
            else:
                self._drop(self._item_at("sites", term, m, ctx, self.say("r_site_pain", head=head.match.text)))

    def _refers_back(self, sentence: tuple[int, int]) -> bool:
        """Whether a sentence with no lesion word of its own places the lesions the sentence
        before it describes: it says so with a pronoun or a verb of place (intake.yaml
        ``site_carriers``: "They were located on the elbows", "Ils siégeaient aux coudes", "The
        knees were affected"), and the sentence right before it names lesions."""
        i = self.sentences.index(sentence)
        if i == 0:
            return False
        words = intake_data().get("site_carriers", [])
        text = self.folded[sentence[0] : sentence[1]]
        if not _says_any(text, words):
            return False
        before = self.by_sentence.get(self.sentences[i - 1], [])
        return any(_is_lesion(o) for o in before)

    def _family_denied(self, m: _Mention) -> Cue | None:
        """The denial written right before the family cue of ``m`` ("pas d'antécédent familial",
        "no family history of"), in the same sentence: the family history itself is denied."""
        cue = m.context.cue
        if cue is None or cue.start >= m.match.start or cue.start < m.sentence[0]:
            return None
        return self._denial_ending_at(cue.start, m.sentence[0])

    def _denied_before(self, m: _Mention) -> Cue | None:
        """A denial right before the mention itself, in its sentence ("pas d'antécédent familial
        similaire", where the family cue is the mention's own words)."""
        return self._denial_ending_at(m.match.start, m.sentence[0])

    def _denial_ending_at(self, end: int, sentence_start: int) -> Cue | None:
        """A denial ("no", "pas de", "without any") that ends right at ``end``, within the
        sentence and the 40 characters before ``end``."""
        floor = max(sentence_start, end - 40)
        denial = _DENIAL.search(self.folded[floor:end])
        if denial is None:
            return None
        start = floor + denial.start()
        return Cue(kind="negation", text=self.text[start:end].strip(), start=start, end=end)

    def _denied_after(self, m: _Mention) -> Cue | None:
        """A denial right after the mention ("her family history is unremarkable", "antécédents
        familiaux : néant"), in its sentence."""
        hit = _DENIED_AFTER.match(self.folded, m.match.end, min(m.sentence[1], m.match.end + 40))
        if hit is None:
            return None
        return Cue(kind="negation", text=self.text[hit.start() : hit.end()].strip(), start=hit.start(), end=hit.end())

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
            if _said_acute(clause):
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
        before = self.folded[max(sentence[0], m.match.start - 140) : m.match.start]
        before = re.split(r"[;:]|\b(?:mais|but|whereas|alors que)\b", before)[-1]  # the same clause list
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
            if _said_acute(clause):
                self.lists["findings"].append(result)
                self._keep(
                    item.model_copy(update={"term": result, "reason": self.say("r_acute_pain", words=item.text)})
                )
                return

    def _dose_exposures(self) -> None:
        """An exposure said by its dose (intake.yaml ``dose_exposures``): "50,000 IU of vitamin D
        weekly", "cholécalciférol 100 000 UI" is high-dose vitamin D when the dose reaches the
        threshold (a daily dose its own, lower one). The dose and the drug's name in one clause,
        either order; a dose under the threshold places nothing."""
        for term, (pattern, daily) in _dose_patterns().items():
            if term in self.lists["exposures"] or term in self.lists["absent"]:
                continue
            spec = intake_data()["dose_exposures"][term]
            for hit in pattern.finditer(self.folded):
                amount = int(re.sub(r"\D", "", hit.group("after") or hit.group("before")))
                said_daily = daily.search(hit.group()) or daily.search(self.folded[hit.end() : hit.end() + 25])
                days = None if said_daily else _interval_days(spec, self.folded[hit.start() : hit.end() + 30])
                words = self.text[hit.start() : hit.end()]
                if days is not None:
                    # a dose said with how often it is taken: its daily equivalent decides
                    average, at_least = amount / days, int(spec["at_least_daily"])
                    if average < at_least:
                        reason = self.say(
                            "r_dose_average",
                            words=words,
                            daily=decimal(round(average), self.ui, 0),
                            at_least=decimal(at_least, self.ui, 0),
                        )
                        self._drop(self._item("exposures", term, hit.start(), hit.end(), Context(), reason))
                        continue
                    amount, threshold = round(average), at_least
                else:
                    threshold = int(spec["at_least_daily"] if said_daily else spec["at_least"])
                if amount < threshold:
                    continue
                reason = self.say("r_dose", words=words, at_least=decimal(threshold, self.ui, 0))
                self._keep(self._item("exposures", term, hit.start(), hit.end(), Context(), reason))
                self.lists["exposures"].append(term)
                self._replaced_by_dose(term, [str(r) for r in spec.get("replaces", [])])
                break

    def _replaced_by_dose(self, term: str, replaced: list[str]) -> None:
        """The terms a dose said high stands for (intake.yaml ``dose_exposures`` replaces): the
        vitamin D supplement read from the drug's name ("cholécalciférol 100 000 UI") is the high
        dose itself, set aside with the reason, not a second exposure."""
        label = self.kb.vocabulary.label("exposures", term, self.ui)
        for other in replaced:
            if other not in self.lists["exposures"]:
                continue
            self.lists["exposures"].remove(other)
            for item in [i for i in self.items if i.field == "exposures" and i.term == other]:
                self.items.remove(item)
                self._drop(item.model_copy(update={"reason": self.say("r_dose_replaces", term=label)}))

    def _unplaced_products(self, products: list[tuple[_Mention, str]]) -> None:
        """A calcium or vitamin D supplement named by its brand (intake.yaml ``unplaced_products``:
        "Adcal-D3", "Cacit D3", "ZymaD") is no exposure of the case at the dose it is taken at:
        it is set aside with the reason, unless its dose, said, placed the exposure
        (``dose_exposures``: "ZymaD 50 000 UI")."""
        for m, term in products:
            if term in self.lists["exposures"]:
                continue
            label = self.kb.vocabulary.label("exposures", term, self.ui)
            stated = intake_data().get("product_stated", {}).get(term)
            if stated is not None:
                said_of_it = self._stated(m, stated)
                if said_of_it is not None and m.context.status in ("present", "historical"):
                    reason = self.say("r_product_stated", words=m.match.text, said=said_of_it)
                    self._place("exposures", term, m, m.context, reason)
                    continue
                if m.context.status == "absent":
                    # "no steroids", "pas de gluconate de calcium": none taken, so not long-term or IV either
                    self._place("absent", term, m, m.context, self._reason(m.context, self.say("r_pl_absent")))
                    continue
                said = self.say(str(stated["message"]), words=m.match.text, term=label)
                self._drop(self._item_at("exposures", term, m, m.context, self._reason(m.context, said)))
                continue
            content = _product_contents().get(fold(m.match.text), {}).get("fr" if self.ui == "fr" else "en")
            said = (
                self.say("r_product_content", words=m.match.text, content=content, term=label)
                if content
                else self.say("r_product", words=m.match.text, term=label)
            )
            reason = self._reason(m.context, said)
            self._drop(self._item_at("exposures", term, m, m.context, reason))

    def _stated(self, m: _Mention, spec: dict[str, Any]) -> str | None:
        """What the sentence of a product says that makes it the exposure (intake.yaml
        ``product_stated``): one of its words ("au long cours", "intravenously"), or a duration of
        3 months or more ("depuis 2 ans", "for four years") where ``durations`` is set; None when
        it says none of them."""
        start = max(self.folded.rfind(sign, 0, m.match.start) for sign in ".;\n") + 1
        ends = [k for k in (self.folded.find(sign, m.match.end) for sign in ".;\n") if k >= 0]
        sentence = self.folded[start : min(ends, default=len(self.folded))]
        hit = _words_re(tuple(spec.get("words", []))).search(sentence)
        if hit is not None:
            return hit.group()
        if spec.get("durations"):
            for d in _DURATION.finditer(sentence):
                count = d.group("count")
                n = int(count) if count.isdigit() else _COUNT_WORDS.get(count, 3)
                if d.group("unit").startswith(("an", "y")) or n >= 3:
                    return d.group()
        return None

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
        if list_name == "conditions" and self._as_test(m, term):
            return
        if list_name == "conditions" and (test := self._denial_of_a_test(m)) is not None:
            reason = self.say("r_test_denial", words=test, cue=ctx.cue.text if ctx.cue else "")
            self._drop(self._item_at(_FIELD_OF[list_name], term, m, ctx, reason))
            return
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
        elif ctx.status == "absent" and ctx.cue is not None and _says_any(fold(ctx.cue.text), _ruled_out_cues()):
            # "tuberculosis was ruled out", "on a éliminé une tuberculose": the work-up's answer,
            # not what the referral knew (the notes' gold convention: a comment, never absent)
            self._drop(self._item_at(_FIELD_OF[list_name], term, m, ctx, self._reason(ctx, self.say("r_ruled_out"))))
        elif ctx.status == "absent":
            self._place("absent", term, m, ctx, self._reason(ctx, self.say("r_pl_absent")))
        elif ctx.status == "present" and not self._known_before(m, term):
            # "hypercalcaemia (calcium 3.1 mmol/L)" found at this presentation is the lab's level
            self._drop(self._item_at(_FIELD_OF[list_name], term, m, ctx, self.say("r_found_now")))
            if self._found_now_spelling(m):
                self._lab_found_now(m)
        else:
            self._place(
                _FIELD_OF[list_name],
                term,
                m,
                ctx,
                self._reason(ctx, self._placed_field(list_name)),
            )

    def _as_test(self, m: _Mention, term: str) -> bool:
        """A condition named as the test that looks for it (intake.yaml ``test_named``): "myeloma
        screen", "TB screening", "sarcoidosis work-up", "bilan de myélome", "recherche de
        tuberculose", "sérologie lupique". The test is not the disease: a normal result said in
        the clause after it makes the condition absent; another result, or none, leaves it out
        of the case, with the reason (a clinician review: a myeloma screen read as a known
        cancer). Returns whether the mention was so read (and placed or set aside here)."""
        known = intake_data().get("known_only", {})
        if term in known.get("terms", []) or self._found_now_spelling(m):
            return False  # "hypercalcaemia work-up", "bilan d'une insuffisance rénale": the work-up of what was found
        right_after, right_before, inside, result = _test_named_patterns()
        a, z = m.sentence
        lo, hi = m.match.start, m.match.end
        if (hit := right_after.match(self.folded, hi, z)) is not None:
            hi = hit.end()
        elif (hit := right_before.search(self.folded, max(a, lo - 40), lo)) is not None:
            lo = hit.start()
        elif inside.search(self.folded, lo, hi) is None:
            return False
        words = self.text[lo:hi]
        ctx = m.context
        # the result: a result word written right before the test ("negative TB screening"), or
        # the first one after it in its clause (a full stop or a semicolon ends it: "Myeloma
        # screen and PTHrP were normal", "bilan de myélome négatif")
        clause_end = self.folded.find(";", hi, z)
        said = re.search(r"(?:" + result.pattern + r")\s*$", self.folded[max(a, lo - 25) : lo])
        at = max(a, lo - 25)
        if said is None:
            said, at = result.search(self.folded, hi, z if clause_end < 0 else clause_end), 0
        # a hypothesis cue that is the test's own words ("recherche de") is no doubt about its result
        own_cue = ctx.cue is not None and lo <= ctx.cue.start and ctx.cue.end <= hi
        doubted = ctx.status in ("hypothetical", "family") and not own_cue
        if said is not None and not doubted:
            group = "normal" if said.group("normal") is not None else "other"
            start, end = at + said.start(group), at + said.end(group)
            if group == "normal":
                absent = Context("absent", Cue(kind="negation", text=self.text[start:end], start=start, end=end))
                reason = self.say("r_test_named_normal", words=words, result=self.text[start:end])
                self._place("absent", term, m, absent, reason)
                return True
            reason = self.say("r_test_named_result", words=words, result=self.text[start:end])
        elif doubted:
            reason = self._reason(ctx, self.say("r_test_named", words=words))
        else:
            reason = self.say("r_test_named", words=words)
        self._drop(self._item_at(_FIELD_OF["conditions"], term, m, ctx, reason))
        return True

    def _denial_of_a_test(self, m: _Mention) -> str | None:
        """The test named between a condition and the denial after it, whose result that denial
        is: "known multiple myeloma and a hypercalcaemia work-up that was unremarkable",
        "sarcoidosis, tested for tuberculosis: negative" deny neither the myeloma nor the
        sarcoidosis. Such a condition is neither absent nor present (the sentence does not say
        which): it is set aside with the reason. Returns the test's words."""
        cue = m.context.cue
        if m.context.status != "absent" or cue is None or cue.start < m.match.end:
            return None
        _, _, inside, _ = _test_named_patterns()
        hit = inside.search(self.folded, m.match.end, cue.start)
        return None if hit is None else self.text[hit.start() : hit.end()]

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

    def local_only(self) -> None:
        """A surgery or an injury is local (the case's ``surgery_local``, ``trauma_local``) only
        at the lesions: one the note places at another site ("total hip replacement" for deposits
        of the fingers, "lumbar laminectomies" for a thigh mass) is taken out and said why. One
        placed nowhere, or in a case whose lesions have no clinical site, stays."""
        lesion_sites = set(self.lists["sites"])  # the clinical sites: a study's may be the region filmed
        if not lesion_sites:
            return
        vocab = self.kb.vocabulary
        near = {r for s in lesion_sites for r in vocab.related_sites(s)}
        for item in [i for i in self.items if i.field == "history" and i.term in _LOCAL_ONLY]:
            a, b = _sentence_of(self.sentences, item.start)
            # the site written in the surgery's name or bound to it, in its own clause: "total hip
            # replacement", "knee surgery", "prothèse totale de hanche", "laminectomies lombaires"
            before = re.split(r"[,;:.()]", self.text[max(a, item.start - 15) : item.start])[-1]
            after = re.split(r"[,;:.()]", self.text[item.end : min(b, item.end + 25)])[0]
            placed = self.lexicon.terms_within(before + item.text + after, self.lang, "sites")
            if not placed or any(site in near for site in placed):
                continue
            self.items.remove(item)
            if item.term in self.lists["history"] and not any(
                i.field == "history" and i.term == item.term for i in self.items
            ):
                self.lists["history"].remove(item.term)
            sites = ", ".join(vocab.label("sites", s, self.ui) for s in placed)
            self._drop(item.model_copy(update={"reason": self.say("r_not_local", sites=sites)}))

    @staticmethod
    def _found_now_spelling(m: _Mention) -> bool:
        """A spelling of a condition that, without a word of chronicity, is what the work-up
        found now (intake.yaml ``known_only.spellings``: "insuffisance rénale", "renal failure")."""
        return fold(m.match.text) in _found_now_spellings()

    def _lab_found_now(self, m: _Mention) -> None:
        """The lab result a condition found now states ("le bilan a objectivé une insuffisance
        rénale": creatinine high), unless the note gives that test a reading of its own."""
        lab = dict(intake_data().get("known_only", {}).get("lab_found_now", {}))
        if not lab or any(entry.get("test") == lab["test"] for entry, _ in self.lab_entries):
            return
        item = self._item(
            "labs", lab["test"], m.match.start, m.match.end, Context(),
            self.say("r_lab_found_now", words=m.match.text, interp=self.say(f"r_interp_{lab['interpretation']}")), lab,
        )  # fmt: skip
        self.lab_entries.append((lab, item))
        self._keep(item)

    def _known_before(self, m: _Mention, term: str) -> bool:
        """Whether a condition that is also a lab finding (intake.yaml ``known_only``: known
        hypercalcaemia) is said to be known before this presentation: a word of chronicity or
        of the past in its sentence ("chronic", "persistent for a year", "connue", "previous
        admissions"). Without one, the word names what the work-up found now."""
        spec = intake_data().get("known_only", {})
        if term not in spec.get("terms", []) and not self._found_now_spelling(m):
            return True
        a, b = _sentence_of(self.sentences, m.match.start)
        clause = self.folded[max(a, m.match.start - 80) : min(b, m.match.end + 80)]
        return _says_any(clause, spec.get("cues", []))
