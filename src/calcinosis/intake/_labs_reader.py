"""Labs, antibodies and genes read from a note's sentences (values with units, results said in
words, lists of tests sharing one result).
"""

from __future__ import annotations

import re
from typing import Any

from calcinosis.case.labs import resolve_unit
from calcinosis.intake import measure
from calcinosis.intake._reader import (
    Reader,
    _joiner,
    _level_key,
    _levels,
    _Mention,
)
from calcinosis.intake.context import Context
from calcinosis.intake.lexicon import (
    Match,
    Target,
    fold,
    intake_data,
)
from calcinosis.intake.result import ExtractedItem, NotUnderstood

# one dot before exactly three digits after a whole part of one to three digits, not 0, standing alone
_ONE_DOTTED_GROUP = re.compile(r"(?<![\d.,])[1-9]\d{0,2}\.\d{3}(?!\d|[.,]\d)")


def _measured(value: tuple[dict[str, Any] | None, int, measure.Reason] | None) -> bool:
    """Whether a test's reading is a number in a unit of the test (not only lent the test's one
    unit): then it was measured, whatever hypothesis the clause states ("EMG was suggestive of a
    myopathy, and creatine kinase levels were 846 U/L")."""
    return value is not None and value[0] is not None and "value" in value[0] and value[2][0] != "r_value_only_unit"


class LabReader(Reader):
    """Reads lab values and results, antibodies and genetic results into the case."""

    # ---------------------------------------------------------------- labs
    def labs(self) -> None:
        for sentence, group in self.by_sentence.items():
            labs = [
                m
                for m in group
                if m.match.first("labs", "lab_group", "derived", "lab_state", "lab_value_word") is not None
            ]
            labs = self._with_listed_tests(self._with_elided_panels(labs, sentence), sentence)
            pending: list[_Mention] = []
            carried: tuple[str, int, int] | None = None  # a result said before a test, shared along "X and Y"
            bracket = self._bracketed_results(sentence, labs)
            respective = self._respective(sentence, labs)
            in_order = (
                "" if re.search(r"\brespectiv", self.folded[sentence[0] : sentence[1]]) else self.say("r_in_order")
            )
            for i, m in enumerate(labs):
                valueless = False  # its value, given "respectively", cannot be placed: its result may be said in words
                if id(m) in respective:
                    got, _, z, why = respective[id(m)]
                    m.used = True
                    test = str(m.match.first("labs").term)  # type: ignore[union-attr]
                    item = self._item("labs", test, m.match.start, z, Context(), self.said(why) + in_order, got or None)
                    if got:
                        pending, carried = [], None
                        self.lab_entries.append((got, self._keep_ret(item)))
                        continue
                    # "raised ESR and CRP values of 40 and 42, respectively": no unit, but the list's result word
                    self._drop(item)
                    valueless = True
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
                value = (
                    measure.lab_value(self.kb, tests[0], self.text, m.match.end, limit, self.lang, list_end=sentence[1])
                    if len(tests) == 1 and not valueless
                    else None
                )
                if m.context.status == "family" or (
                    m.context.status == "hypothetical"
                    and not self._hypothesis_of_other_term(m, group)
                    and not _measured(value)
                ):
                    continue
                if (
                    _DIALYSATE_BEFORE.search(self.folded[max(sentence[0], m.match.start - 25) : m.match.start])
                    or _DIALYSATE_HEADING.search(self.folded[sentence[0] : m.match.start])
                    or _DIALYSATE_AFTER.match(self.folded, m.match.end)
                ):
                    # the dialysis bath's concentration, not the patient's blood (an intake review:
                    # 'dialysate calcium 1.25 mmol/L' raised a severe hypocalcaemia emergency)
                    m.used = True
                    pending, carried = [], None
                    end = value[1] if value is not None else m.match.end
                    self._drop(self._item("labs", tests[0], m.match.start, end, m.context, self.say("r_dialysate")))
                    continue
                if re.search(r"\d\s*$", self.folded[max(sentence[0], m.match.start - 3) : m.match.start]) and (
                    len(m.match.text) <= 3
                ):
                    continue  # a short test name right after a number is that number's unit ("300 mg")
                if value is not None:
                    entry, end, why = value
                    m.used = True
                    pending = []
                    carried = None
                    if entry is not None and (other := self._unit_of_other_name(entry, m)) is not None:
                        entry, why = None, other
                    term = str(entry["test"]) if entry is not None else tests[0]  # a daily excretion: the urine test
                    reason = self.said(why)
                    if entry is not None and (interval := self._laboratory_interval(entry, end)) is not None:
                        end, words = interval
                        reason += self.say("r_laboratory_interval", words=words)
                    item = self._item("labs", term, m.match.start, end, Context(), reason, entry)
                    if entry is not None:
                        self.lab_entries.append((entry, self._keep_ret(item)))
                        continue
                    self._drop(item)
                    self._result_beside_value(m, tests[0], end, limit, sentence[1])
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
        self._settle_dotted()
        self._values_win()

    def _laboratory_interval(self, entry: dict[str, Any], end: int) -> tuple[int, str] | None:
        """The interval the note gives in brackets after a value ("62 ng/L (ref 7-53)") becomes
        the lab's ``reference_range`` when it is in the value's unit (none written, or the same
        one): the case then reads the value as its laboratory did. Returns where the reading
        now ends and the words read, or None (no interval, or one in another unit)."""
        found = measure.reference_range_after(self.text, end, self.lang)
        if found is None or "unit" not in entry:
            return None
        limits, stop, words, unit_words = found
        if unit_words:
            unit = resolve_unit(self.kb, str(entry["test"]), unit_words)
            if unit is None or unit != resolve_unit(self.kb, str(entry["test"]), str(entry["unit"])):
                return None  # another unit, or words that are not one: the default range is kept
        entry["reference_range"] = limits
        return stop, words

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

    def _result_beside_value(self, m: _Mention, test: str, end: int, limit: int, sentence_end: int) -> None:
        """A value that cannot be placed (no unit, a unit of another test) does not hide the
        result said in words ("CRP level was elevated (>0.6 mg/dl)"), nor the result its
        reference range gives ("CRP 21.3 mg/dL (reference range <0.15)": high)."""
        said = measure.interpretation_after(self.folded, m.match.end, limit)
        if said is not None and said[1] < end:
            kind, _, z = said
            reason = self.say("r_qualitative", words=self.text[said[1] : said[2]])
        else:
            ranged = measure.interpretation_from_range(self.text, m.match.end, sentence_end, self.lang)
            if ranged is None:
                return
            kind, _, z, words = ranged
            reason = self.say("r_reference_range", words=words, interp=self.say(f"r_interp_{kind}"))
        entry = {"test": test, "interpretation": kind}
        self.lab_entries.append(
            (entry, self._keep_ret(self._item("labs", test, m.match.start, z, Context(), reason, entry)))
        )

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
        "respectively" / "respectivement", or as many values as tests right after the list
        ("calcium and phosphate were 2.9 and 1.1 mmol/L"): each test takes the value of its rank.
        Without the word, the values must follow the last name at once and be exactly as many
        (:func:`measure.respective_values`), which is how such a list is read."""
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

    def _settle_dotted(self) -> None:
        """A value written with one dot before three digits ("PTH 1.200 pg/ml") is 1200 or 1.2:
        :func:`measure.dot_reading` settles it from the note's decimal mark, its language and
        what the test can measure, and says so in the reason; when nothing settles it the value
        is set aside with both readings (it used to be read 1.2 whatever the note). A converted
        value (mg/L to mg/dL) is left as read."""
        marks = measure.decimal_marks(self.text)
        kept: list[tuple[dict[str, Any], ExtractedItem]] = []
        for entry, item in self.lab_entries:
            written = self._dotted_in(entry, item)
            if written is None:
                kept.append((entry, item))
                continue
            readings = measure.dotted_readings(written)
            assert readings is not None
            value, why = measure.dot_reading(self.kb, entry, readings, marks, self.lang)
            thousands, point = readings
            words = {
                "written": written,
                "thousands": f"{thousands:.0f}",
                "point": f"{point:g}".replace(".", "," if self.ui == "fr" else "."),
                "unit": entry["unit"],
                "test": entry["test"],
            }
            self.items.remove(item)
            if value is None:
                self._drop(item.model_copy(update={"value": None, "reason": self.say(str(why), **words)}))
                continue
            entry["value"] = value
            reason = item.reason + (self.say(why, **words) if why is not None else "")
            new = item.model_copy(update={"value": entry, "reason": reason})
            self._keep(new)
            kept.append((entry, new))
        self.lab_entries = kept

    def _dotted_in(self, entry: dict[str, Any], item: ExtractedItem) -> str | None:
        """The value's own words when they are one dot before three digits ("1.200"), read as
        the decimal ``entry`` holds; else None."""
        if not isinstance(entry.get("value"), float) or "unit" not in entry:
            return None
        for found in _ONE_DOTTED_GROUP.finditer(item.text):
            if float(found.group()) == entry["value"]:
                return found.group()
        return None

    def unread_values(self) -> None:
        """Values written in a test's value place that no reading took ("calcium and phosphate
        were 2.9, 1.1 and 3.1 mmol/L, respectively": three values for two tests) are listed under
        "Not understood", from the first name of their list to the last value: the clinician
        sees them, where they used to vanish. Run after every reader, so that a number another
        reader placed (an age, a size) is not listed."""
        read = [(i.start, i.end) for i in [*self.items, *self.dropped]]
        joiners = {fold(j) for j in intake_data().get("lab_joiners", [])}
        for sentence, group in self.by_sentence.items():
            labs = [m for m in group if m.match.first("labs", "lab_group") is not None]
            for i, m in enumerate(labs):
                nxt = labs[i + 1].match.start if i + 1 < len(labs) else sentence[1]
                end = measure.values_after(self.text, m.match.end, min(nxt, sentence[1]), self.lang)
                if end is None or all(
                    any(a <= m.match.end + n.start() and m.match.end + n.end() <= z for a, z in read)
                    for n in re.finditer(r"\d+(?:[.,·]\d+)*", self.text[m.match.end : end])
                ):
                    continue  # no value, or each was read (placed, or set aside with its reason)
                first = i
                while (
                    first > 0 and _joiner(self.folded[labs[first - 1].match.end : labs[first].match.start]) in joiners
                ):
                    first -= 1
                a = labs[first].match.start
                if any(u.start == a and u.end == end for u in self.unknown):
                    continue
                self.unknown.append(
                    NotUnderstood(text=self.text[a:end], start=a, end=end, why=self.say("r_unread_values"))
                )

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

    def _with_listed_tests(self, labs: list[_Mention], sentence: tuple[int, int]) -> list[_Mention]:
        """A panel spelled by naming its tests one by one ("serum calcium and phosphate") and
        followed by as many values ("were 2.9 and 1.1 mmol/L, respectively") is the list of those
        tests, each at its own words: the values are theirs in the order written. Read as the
        panel, the values had no test to go to and vanished (a French note said the same with
        "calcémie et phosphorémie", two tests, and was read)."""
        out: list[_Mention] = []
        for m in labs:
            group = m.match.first("lab_group")
            if group is None or m.match.first("labs") is not None:
                out.append(m)
                continue
            names = self.lexicon.lab_names_within(
                self.text[m.match.start : m.match.end], self.lang, offset=m.match.start
            )
            tests = [test for _, _, test in names]
            panel = list(intake_data()["lab_groups"][group.term]["tests"])
            if (
                len(tests) < 2
                or sorted(tests) != sorted(panel)
                or measure.respective_values(self.kb, tests, self.text, m.match.end, sentence[1], self.lang) is None
            ):
                out.append(m)
                continue
            m.used = True
            for a, z, test in names:
                out.append(_Mention(Match(a, z, self.text[a:z], (Target("labs", test),)), m.context, sentence))
        return out

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
            # "sans éosinophilie", "no leukocytosis": the level is not raised (or lowered), i.e. normal,
            # as the note sets' readers code it
            interp = "normal"
            reason = self.say("r_lab_state_negated", words=m.match.text)
        else:
            reason = self.say("r_lab_state", words=m.match.text, interp=self.say(f"r_interp_{interp}"))
        entry = {"test": test, "interpretation": interp}
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
                    if len(m.match.text.strip()) <= 2 and kind == "antibodies" and ctx.status != "absent":
                        # a two-letter name ("RF", "FR") is a result only with its result beside it:
                        # "(EN/FR)" in a title read a rheumatoid factor, the "-" of "41-year-old"
                        # three lines down as its result (an intake review)
                        if hit is not None and (hit[1] - m.match.end > 25 or "\n" in self.text[m.match.end : hit[1]]):
                            hit = None
                        if hit is None:
                            reason = self.say("r_abbreviation_no_result")
                            self._drop(self._item(field, target.term, m.match.start, m.match.end, ctx, reason))
                            continue
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


# the dialysis bath's concentration written before or after the test's name ("dialysate calcium
# 1.75 mmol/L", "bain de dialyse à 1,5", "calcium du dialysat 1,25"): folded text, no accents
_DIALYSATE_BEFORE = re.compile(
    r"\b(?:dialysate|dialysat|dialysis\s+(?:bath|fluid)|bain(?:\s+de\s+dialyse)?|liquide\s+de\s+dialyse)\s*(?:[:=]\s*)?$"
)
# ... or as the heading of a list of its concentrations ("Dialysate: K 2 mmol/L, Ca 1.25 mmol/L")
_DIALYSATE_HEADING = re.compile(
    r"\b(?:dialysate|dialysat|dialysis\s+(?:bath|fluid)|bain(?:\s+de\s+dialyse)?|liquide\s+de\s+dialyse)\s*:[^.;\n]*$"
)
_DIALYSATE_AFTER = re.compile(r"\s*(?:du\s+|de\s+|of\s+the\s+|in\s+the\s+|dans\s+le\s+)?(?:dialysate|dialysat|bain)\b")
