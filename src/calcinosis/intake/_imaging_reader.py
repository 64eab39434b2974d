"""Imaging studies read from a note: the modality, then the sites, tissues, patterns and
distribution each study's sentences give it.
"""

from __future__ import annotations

import itertools
import re

from calcinosis.case.model import MAX_SIZE_CM
from calcinosis.intake._reader import (
    _AROUND_JOINT,
    _BODY_REGION,
    _CLAUSE,
    _DEPOSIT_LISTS,
    _EXTENT,
    _IMAGING_LISTS,
    _LIST_ITEM,
    _PLURAL_DEPOSITS,
    _SINGLE_DEPOSIT,
    Reader,
    _heading_line,
    _lesion_kind,
    _Mention,
    _run_joiner,
    _shows_deposit,
    _stated,
)
from calcinosis.intake.context import Context
from calcinosis.intake.imaging import (
    ImagingEntry,
    extent_bound,
    guides_procedure,
    landmark_site,
    normal_site,
    size_cm_in,
)
from calcinosis.intake.lexicon import Target
from calcinosis.intake.result import ExtractedItem
from calcinosis.textsafe import plain

# the nouns a study's name may carry in a list of studies ("computed tomography images, MR scans")
_STUDY_NOUNS = re.compile(
    r"(?<!\w)(?:images?|scans?|imaging|studies|study|examinations?|views?|clich[ée]s?|coupes?)(?!\w)"
)
# a study brought in by a preposition after a comma (folded text up to the modality): "..., on radiographs"
_SAID_ON = re.compile(
    r",\s*(?:(?:and|et)\s+)?(?:on|in|at|sur|[àa]\s+la|au|en)\s+(?:(?:the|la|le|les|l'|a|an|une?)\s+)?$"
)
# a study named after what it found ("detected on radiograph", "seen on CT", "visible à la
# radiographie", "mise en évidence par l'échographie"): folded text, ending at the modality
_POSTPOSED = re.compile(
    r"(?<!\w)(?:detected|seen|visible|visualized|visualised|shown|noted|evident|demonstrated|identified|"
    r"confirmed|observed|found|apparent|depicted|revealed|documented|"
    r"visibles?|visualisee?s?|retrouvee?s?|objectivee?s?|mise?s?\s+en\s+evidence|detectee?s?|observee?s?|"
    r"confirmee?s?|decouvertes?|decouverte?s?)\s+"
    r"(?:on|at|by|in|with|a\s+la|a\s+l'|a\s+l’|au|aux|en|par|sur)\s+"
    r"(?:(?:the|a|an|la|le|l'|l’|les|une?|des|plain|conventional|simple|standard|repeat|initial|follow-up|"
    r"subsequent|\w+)\s+){0,2}$"
)


class ImagingReader(Reader):
    """Reads imaging studies: one entry per modality, filled from the sentences that describe it."""

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
            if not heading and self._titled_study(sentence, modalities):
                heading, section = True, None
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
                    if a == start and _POSTPOSED.search(self.folded, max(sentence[0], start - 60), lead[0].match.start):
                        # "calcification of the thigh detected on radiograph": the study named after
                        # what it found shows the deposits said before it in the sentence
                        seg_deposit = seg_deposit or any(_shows_deposit(m) for m in group if m.match.start < start)
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

    def _titled_study(self, sentence: tuple[int, int], modalities: list[_Mention]) -> bool:
        """A title line that names its study after a colon ("Tendinopathie du moyen glutéal :
        Echographie", "Left shoulder: radiograph"): a line of its own of at most eight words, with
        no sentence end, whose part after the colon (three words at most) names a modality. As a
        heading, it governs what follows."""
        for m in modalities:
            line_start = self.text.rfind("\n", 0, m.match.start) + 1
            line_end = self.text.find("\n", m.match.start)
            line = self.text[line_start : line_end if line_end != -1 else len(self.text)].rstrip()
            colon = line.rfind(":")
            if (
                sentence[0] <= line_start + 1  # the sentence opens with this line
                and colon >= 0
                and line_start + colon < m.match.start  # the study is named after the colon
                and line.strip()[:1] != ":"
                and not line.endswith((".", "!", "?", ";"))
                and len(re.findall(r"[^\W_]+", line)) <= 8
                and 0 < len(line[colon + 1 :].split()) <= 3
            ):
                return True
        return False

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
            # "... masses in the soft tissue that, on radiographs below, correspond with calcification":
            # a study brought in by a preposition after a comma says what follows it
            said_on = _SAID_ON.search(between)
            if cut is None and said_on is not None and len(between) > 20:
                cut = prev.match.end + said_on.start()
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
            # a list of studies ("on conventional radiographs, computed tomography images and
            # magnetic resonance images"): a bare comma between two of them goes on with the list
            bare = _STUDY_NOUNS.sub(" ", between).strip()
            if bare == ",":
                if t.term != first.term and t.term not in out:
                    out.append(t.term)
                continue
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
        size, refused = size_cm_in(
            self.text, max(sentence[0], group[0].match.start if group else sentence[0]), sentence[1]
        )
        for cm, a, z in refused:  # set aside with its sentence, never lost
            words = plain(self.text[sentence[0] : sentence[1]].strip(), limit=200, newlines=False)
            reason = self.say("r_size_refused", size=self.text[a:z], most=f"{MAX_SIZE_CM:g}", sentence=words)
            item = self._item("imaging", "size_cm", a, z, Context(), reason, {"size_cm": cm})
            self._item_study[id(item)] = modality
            self._drop(item)
        if size is not None and entry.size_cm is not None and size[0] != entry.size_cm:
            # a study holds one size (its largest deposit's, as a case file gives it); the first
            # said is kept, and the other is listed with its sentence, where it used to vanish
            words = plain(self.text[sentence[0] : sentence[1]].strip(), limit=200, newlines=False)
            reason = self.say(
                "r_size_other", size=self.text[size[1] : size[2]], kept=f"{entry.size_cm:g}", sentence=words
            )
            item = self._item("imaging", "size_cm", size[1], size[2], Context(), reason, {"size_cm": size[0]})
            self._item_study[id(item)] = modality
            self._drop(item)
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
