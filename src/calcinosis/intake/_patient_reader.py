"""Age, sex and the lesions' duration read from a note, and the medical-looking words it could
not place (listed for the clinician, never dropped silently).
"""

from __future__ import annotations

import re

from calcinosis.case.model import MAX_AGE_YEARS
from calcinosis.intake import measure
from calcinosis.intake._reader import (
    _PRESENTATION,
    Reader,
    _is_lesion,
    _presenting_pain,
    _sentence_of,
)
from calcinosis.intake.context import Context
from calcinosis.intake.lexicon import (
    fold,
    intake_data,
    key,
)
from calcinosis.intake.result import NotUnderstood


class PatientReader(Reader):
    """Reads the patient, the duration, and what was not understood."""

    # ---------------------------------------------------------------- patient, duration
    def patient(self) -> None:
        age = measure.find_age(self.text, self.lang)
        if age is not None and age.years > MAX_AGE_YEARS:  # set aside, said, never placed
            why = self.say("r_age_beyond", words=self.text[age.start : age.end], most=f"{MAX_AGE_YEARS:g}")
            self._drop(self._item("patient", "age", age.start, age.end, Context(), why, age.years))
        elif age is not None:
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

    def temperature(self) -> None:
        """Fever from a measured temperature ("temperature was 38.8 °C"); its absence from a
        temperature said normal. What the note says of fever in words comes first."""
        if "fever" in self.lists["findings"] or "fever" in self.lists["absent"]:
            return
        found = next(iter(measure.find_temperatures(self.text)), None)
        if found is None:
            return
        field = "findings" if found.present else "absent"
        ctx = Context() if found.present else Context("absent")
        self._keep(
            self._item(field, "fever", found.start, found.end, ctx, self.say("r_temperature", words=found.words))
        )
        self.lists[field].append("fever")

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
