"""``diagnose(case, kb)``: the whole pipeline from a validated case to the result object.

The result objects are built from the checked knowledge base and the validated case without
being validated again (``results.built``: validating dozens of reasons per report cost more
than writing them; the tests hold every built report equal to its validated copy), the
engine's own warnings included. Whatever depends on the knowledge base only (the sentences of
the reasons and of the category rules, a listed diagnosis' name, references and codes, the
classification rules, the category priors) is written once per knowledge base (``tables.py``,
``reasons.py``); each report gets its own copies of the lists and dicts.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Collection
from dataclasses import dataclass
from itertools import chain
from typing import Any

from calcinosis._version import __version__
from calcinosis.case.labs import CALCIUM_UNCORRECTED, LabPanel, interpret_labs, lab_name
from calcinosis.case.model import Case
from calcinosis.engine.category import CategoryStep, RuleState
from calcinosis.engine.defining import unconfirmed
from calcinosis.engine.evidence import DERANGED_FEATURES, Evidence, collect_evidence
from calcinosis.engine.measured import measured_performance
from calcinosis.engine.questions import next_questions
from calcinosis.engine.reasons import Shown, fmt_lr, literal, reasons, state_word
from calcinosis.engine.results import (
    CategoryFactor,
    CategoryRule,
    DiagnosisReport,
    DiagnosisResult,
    FormShown,
    Metadata,
    built,
)
from calcinosis.engine.scoring import Scores, score
from calcinosis.engine.staging import stage_cvi, staging_relevant
from calcinosis.engine.tables import Tables, row_blocks, tables
from calcinosis.engine.workup import PANEL_LEFT_OUT, missing_workup
from calcinosis.errors import CaseValidationError
from calcinosis.i18n import agree, colon, de, decimal, elides, lower_first, message, percent, significant
from calcinosis.issues import Issue, IssueLevel
from calcinosis.kb.model import KnowledgeBase, NotAsked
from calcinosis.kb.schema import CATEGORIES, BlockName

__all__ = ["Analysis", "analyse", "diagnose", "state_word"]

_MIN_FACTOR_LOG = math.log(1.1)


def _shown(p: float) -> float:
    """A probability rounded to 4 decimals for the result, never to a certainty or to nothing it is not."""
    if 0 < p < 1:
        shown = round(p, 4)
        return 0.0001 if shown < 0.0001 else 0.9999 if shown > 0.9999 else shown
    return p


def _category_label(kb: KnowledgeBase, name: str, lang: str) -> str:
    spec = kb.categories[name]
    return spec.fr if lang == "fr" else spec.en


@dataclass(frozen=True, slots=True)
class _RuleText:
    """A classification rule in one state, as the explanation of one category against another
    shows it: all but its basis depends on the knowledge base."""

    label: str
    state: str
    likelihood: dict[str, float]
    references: tuple[str, ...]
    sentence: str  # with {basis} still to fill
    plain: str  # the sentence without a basis (most rules: not reported)
    term: str  # how the explanation of the category names it
    gap: float  # its weighted log ratio, top category against the second
    factor: str  # the explanation's words for it (shown when it is among the largest gaps)


def _rule_text(kb: KnowledgeBase, t: Tables, r: RuleState, top: int, second: int, lang: str) -> _RuleText:
    key = ("rule", r.rule.id, r.state, top, second, lang)
    found: _RuleText | None = t.texts.get(key)
    if found is not None:
        return found
    names = kb.category_names
    label = r.rule.fr if lang == "fr" else r.rule.en
    likelihood = {c: round(math.exp(v), 4) for c, v in zip(names, r.log_likelihood.tolist(), strict=True)}
    state = agree(f"rule_state_{r.state}", lang, gender=r.rule.gender)
    top_p, second_p = likelihood[names[top]], likelihood[names[second]]
    sentence = message("rule_text", lang).format(
        label=literal(label),
        state=literal(state),
        basis="{basis}",
        top_p=literal(f"{top_p:.2g}" if lang != "fr" else significant(top_p, lang)),
        top=literal(_category_label(kb, names[top], lang)),
        second_p=literal(f"{second_p:.2g}" if lang != "fr" else significant(second_p, lang)),
        second=literal(_category_label(kb, names[second], lang)),
    )
    gap = kb.constants.rule_strength.value * float(r.log_likelihood[top] - r.log_likelihood[second])
    references = tuple(r.rule.references or kb.category_model.references)
    term = f"{label} ({state})"
    found = _RuleText(
        label, state, likelihood, references, sentence, sentence.format(basis=""), term, gap, _factor(term, gap, lang)
    )
    t.texts[key] = found
    return found


def _factor(label: str, gap: float, lang: str) -> str:
    """A term of the category's explanation in words: its name and its likelihood ratio."""
    return message("category_factor", lang, label=label, ratio=fmt_lr(math.exp(gap), lang))


def _category_explanation(step: CategoryStep, kb: KnowledgeBase, lang: str) -> tuple[list[CategoryFactor], str]:
    """The rules as stated by the case, and the sentence naming what put the top category above the next."""
    t = tables(kb)
    names = kb.category_names
    top, second = (-step.category_posterior).argsort(kind="stable")[:2].tolist()
    top_label, second_label = _category_label(kb, names[top], lang), _category_label(kb, names[second], lang)
    separator = message("list_separator", lang)
    factors: list[CategoryFactor] = []
    prior_term, differential_term = step.log_prior_term.tolist(), step.log_differential_term.tolist()
    # each term's gap and its words (a rule's are written once per knowledge base)
    prior_gap = prior_term[top] - prior_term[second]
    differential_gap = differential_term[top] - differential_term[second]
    terms: list[tuple[float, str | None, str]] = [
        (prior_gap, None, message("category_prior_label", lang)),
        (differential_gap, None, message("category_differential_label", lang)),
    ]
    for r in step.rules:
        rt = _rule_text(kb, t, r, top, second, lang)
        factors.append(
            built(
                CategoryFactor,
                {
                    "rule": r.rule.id,
                    "label": rt.label,
                    "state": r.state,
                    "basis": list(r.basis),
                    "likelihood": dict(rt.likelihood),
                    "references": list(rt.references),
                    "text": rt.sentence.format(basis=f" ({separator.join(r.basis)})") if r.basis else rt.plain,
                },
            )
        )
        if abs(rt.gap) > 1e-9:
            if r.state == "present" and r.basis:  # what made it present ('dialysis': nothing was measured)
                said = r.basis[0].split(" ", 1)[-1].replace("_", " ")
                # its words are written below only if it is among the largest gaps shown
                terms.append((rt.gap, None, f"{rt.label} ({rt.state}{colon(lang)} {said})"))
            else:
                terms.append((rt.gap, rt.factor, rt.term))
    terms.sort(key=lambda term: -abs(term[0]))
    shown = [factor or _factor(label, gap, lang) for gap, factor, label in terms[:4] if abs(gap) >= _MIN_FACTOR_LOG]
    explanation = message(
        "category_driver",
        lang,
        top=top_label,
        second=second_label,
        # 'plutôt qu'« Idiopathique »' (a French clinical review read 'plutôt que « Idiopathique »')
        rather="plutôt qu'" if elides(second_label) else "plutôt que ",
        factors=separator.join(shown) or "—",
    )
    return factors, explanation


def _block_text(kb: KnowledgeBase, t: Tables, b: int, lang: str) -> str:
    """Why a diagnosis pays for block ``b`` of its defining features, none of which the case
    reports: the lesion's (or only) block, or its setting's (the sentence depends on the
    knowledge base only, and is written once)."""
    key = ("defining", b, lang)
    found: str | None = t.texts.get(key)
    if found is not None:
        return found
    row = int(t.block_row[b])
    kind = t.block_kind[b]
    block = dict(row_blocks(kb, row))[kind]
    name = kb.row_name(row, lang)
    labels = [kb.features[f].label(lang) for f in block.any_of[:4]]
    more = "…" if len(block.any_of) > 4 else ""
    p = block.unreported_probability
    found = t.texts[key] = message(
        f"{kind}_unreported",
        lang,
        features=", ".join(labels) + more,
        name=name if lang != "fr" else de(name),
        p=f"{p:.2g}" if lang != "fr" else significant(p, lang),
        lr=fmt_lr(math.exp(kb.constants.defining_strength.value * t.block_log[b]), lang),
        basis=message(f"basis_{block.basis}", lang),
    )
    return found


def _denied_text(kb: KnowledgeBase, t: Tables, b: int, denied: list[str], lang: str) -> str:
    """Why a diagnosis pays for block ``b`` although the case reports some of its features
    absent (``denied``): a denial does not define it, so the block costs what silence on it
    costs, and the denials count besides with their own LRs (category.defining_terms)."""
    row = int(t.block_row[b])
    kind = t.block_kind[b]
    block = dict(row_blocks(kb, row))[kind]
    name = kb.row_name(row, lang)
    others = [kb.features[f].label(lang) for f in block.any_of if f not in denied]
    p = block.unreported_probability
    return message(
        f"{kind}_denied",
        lang,
        absence=message("denied_many" if len(denied) > 1 else "denied_one", lang),
        own=message("denied_own_many" if len(denied) > 1 else "denied_own_one", lang),
        denied=", ".join(kb.features[f].label(lang) for f in denied),
        features=", ".join(others[:4]) + ("…" if len(others) > 4 else ""),
        name=name if lang != "fr" else de(name),
        p=f"{p:.2g}" if lang != "fr" else significant(p, lang),
        lr=fmt_lr(math.exp(kb.constants.defining_strength.value * t.block_log[b]), lang),
        basis=message(f"basis_{block.basis}", lang),
    )


def _codes(kb: KnowledgeBase, t: Tables, d: int) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """A diagnosis' codes by system, the empty systems left out (each result gets its own lists)."""
    key = ("codes", d)
    found: tuple[tuple[str, tuple[str, ...]], ...] | None = t.texts.get(key)
    if found is None:
        found = t.texts[key] = tuple(
            (system, tuple(codes)) for system, codes in kb.diseases[d].codes.model_dump().items() if codes
        )
    return found


@dataclass(frozen=True, slots=True)
class _Silencing:
    """Which features can silence a question, read once per knowledge base: a rule of
    ``not_asked_with`` holds only when one of its ``when_any`` features is observed present or
    one of its ``when_absent`` features observed absent, and one of ``settled_by_absence`` only
    when one of its features is observed absent; so a case checks the few rules its
    observations can fire, in the state that fires them, rather than all of them (a loop over
    every rule was a tenth of the next questions' cost; the sites a site list leaves out, read
    absent, appear only in ``when_any`` lists and fire nothing)."""

    triggers: frozenset[str]  # every feature that can make a rule hold, in some state
    by_present: dict[str, tuple[int, ...]]  # feature -> the not_asked_with rules it fires when present
    by_absent: dict[str, tuple[int, ...]]  # feature -> the not_asked_with rules it fires when absent
    settled: dict[str, tuple[int, ...]]  # feature -> the settled_by_absence entries it fires when absent
    not_asked_rules: tuple[tuple[str, NotAsked], ...]  # kb.not_asked_with's items, in order
    settled_rules: tuple[tuple[str, tuple[str, ...]], ...]  # kb.settled_by_absence's items, in order


def _silencing(kb: KnowledgeBase, t: Tables) -> _Silencing:
    """The index of :class:`_Silencing`, kept with the knowledge base's tables."""
    found: _Silencing | None = t.texts.get(("silencing",))
    if found is None:
        by_present: dict[str, list[int]] = {}
        by_absent: dict[str, list[int]] = {}
        for k, rule in enumerate(kb.not_asked_with.values()):
            for f in dict.fromkeys(rule.when_any):
                by_present.setdefault(f, []).append(k)
            for f in dict.fromkeys(rule.when_absent):
                by_absent.setdefault(f, []).append(k)
        settled: dict[str, list[int]] = {}
        for k, implied in enumerate(kb.settled_by_absence.values()):
            for f in dict.fromkeys(implied):
                settled.setdefault(f, []).append(k)
        found = t.texts[("silencing",)] = _Silencing(
            frozenset((*by_present, *by_absent, *settled)),
            {f: tuple(ks) for f, ks in by_present.items()},
            {f: tuple(ks) for f, ks in by_absent.items()},
            {f: tuple(ks) for f, ks in settled.items()},
            tuple(kb.not_asked_with.items()),
            tuple(kb.settled_by_absence.items()),
        )
    return found


def _not_to_ask(evidence: Evidence, kb: KnowledgeBase, age: float | None = None) -> Collection[str]:
    """What the questions leave out: every feature the case states or implies, those whose
    answer what it states makes uninformative (features.yaml not_asked_with: a PTH of a dialysis
    patient, raised in most of them, read as evidence against calciphylaxis when normal), those
    that imply a feature the case reports absent (kb.settled_by_absence: no 'eGFR below 15?' when
    a chronic kidney disease is denied), and,
    below ``self_report_min_age`` (``age`` in years), those only the patient can say (a bone
    pain asked of a neonate: features.yaml self_reported).

    Only the rules one of the case's observations fires in its state can hold
    (:class:`_Silencing`): those are read, in the knowledge base's order, as every rule was."""
    observations = evidence.observations
    too_young = age is not None and age < kb.self_report_min_age
    index = _silencing(kb, tables(kb))
    fired = index.triggers.intersection(observations)
    if not fired and not too_young:
        return observations.keys()

    def said(features: tuple[str, ...], present: bool) -> bool:
        return any(o is not None and o.present == present for o in map(observations.get, features))

    may_hold: set[int] = set()
    may_settle: set[int] = set()
    for f in fired:
        if observations[f].present:
            may_hold.update(index.by_present.get(f, ()))
        else:
            may_hold.update(index.by_absent.get(f, ()))
            may_settle.update(index.settled.get(f, ()))
    silenced = [
        feature
        for feature, rule in map(index.not_asked_rules.__getitem__, sorted(may_hold))  # rules in knowledge order
        if feature not in observations
        and (said(rule.when_any, True) or said(rule.when_absent, False))
        and (not rule.and_any or said(rule.and_any, True))
    ]
    # what the case denies denies what implies it (a chronic kidney disease stated absent: no
    # 'eGFR below 15?', a clinical review; no swelling: no 'painless swelling?')
    silenced.extend(
        feature
        for feature, implied in map(index.settled_rules.__getitem__, sorted(may_settle))
        if feature not in observations and feature not in silenced and said(implied, False)
    )
    if too_young:
        silenced.extend(f for f in sorted(kb.self_reported) if f not in observations)
    return [*observations, *silenced] if silenced else observations.keys()


def _phosphocalcic_status(ev: Evidence) -> str:
    def state(fid: str) -> bool | None:
        obs = ev.observations.get(fid)
        return None if obs is None else obs.present

    if any(state(f) for f in DERANGED_FEATURES):
        return "deranged"
    if state("lab:calcium_high") is False and state("lab:phosphate_high") is False:
        return "normal"
    return "unknown"


Analysis = tuple[LabPanel, Evidence, Scores]


def analyse(case: Case, kb: KnowledgeBase, *, lang: str = "en") -> Analysis:
    """Labs, evidence and scores of a case: the shared first half of diagnose and manage.

    ``lang`` is the language of the texts it carries (the input behind each observation, the
    warnings); the numbers do not depend on it.

    Raises
    ------
    CaseValidationError
        When a lab unit does not fit its test (cases built without :func:`read_case`).
    """
    try:
        panel = interpret_labs(case, kb, lang=lang)
    except ValueError as exc:
        raise CaseValidationError(
            message("err_file", lang, source=case.id or "<case>", text=message("err_lab_unit", lang)),
            issues=[
                Issue(
                    level=IssueLevel.ERROR,
                    code="case.unit",
                    message=str(exc).split(": ", 1)[-1],
                    location=str(exc).split(":", 1)[0],
                )
            ],
            lang=lang,
        ) from None
    evidence = collect_evidence(case, panel, kb, lang=lang)
    return panel, evidence, score(evidence, kb, case)


def diagnose(case: Case, kb: KnowledgeBase, *, lang: str = "en", analysis: Analysis | None = None) -> DiagnosisReport:
    """Rank the causes of a case's soft-tissue calcification.

    Parameters
    ----------
    case
        A validated case (:func:`calcinosis.read_case` or :func:`calcinosis.parse_case`).
    kb
        The knowledge base (:func:`calcinosis.load_kb`).
    lang
        'en' or 'fr', for every text of the result.
    analysis
        The case's :func:`analyse` result when the caller already has it (manage, reports);
        one made in another language is made again in ``lang`` (same numbers, its texts).

    Returns
    -------
    DiagnosisReport
        Category and its probabilities, ranked differential with reasons for and against,
        missing work-up, next best questions, warnings, and the code and knowledge versions.

    Raises
    ------
    CaseValidationError
        When a lab unit does not fit its test.
    """
    if analysis is None or analysis[1].lang != lang:
        analysis = analyse(case, kb, lang=lang)
    panel, evidence, scores = analysis
    t = tables(kb)
    post = scores.posterior
    step = scores.category
    cat_probs = dict(zip(kb.category_names, step.category_posterior.tolist(), strict=True))  # Python floats
    category = max(CATEGORIES, key=cat_probs.__getitem__)
    factors, explanation = _category_explanation(step, kb, lang)

    threshold = kb.constants.differential_min_probability.value
    order = (-post).argsort(kind="stable").tolist()
    post_at = post.tolist()  # most diagnoses are only compared with the threshold: Python floats
    # ranked by probability, the listed diagnoses are the head of the order and the excluded
    # ones the rest (a NaN, never expected, would rank last and be excluded, as before)
    head = next((n for n, i in enumerate(order) if not post_at[i] >= threshold), len(order))
    listed = order[:head]
    excluded = list(map(t.disease_ids.__getitem__, order[head:]))
    shown_by = reasons(scores, evidence, kb, listed, lang)
    prior_at, defining_at = scores.prior.tolist(), scores.defining_log.tolist()
    log_lr_at = (scores.log_score - kb.log_prior).tolist()  # the same subtraction, element by element
    # what each block of defining features costs and which ones the case only denies (from the
    # scoring), read when a listed diagnosis pays for one
    paying = any(defining_at[i] < 0 for i in listed)
    blocks = (scores.block_cost.tolist(), scores.denied_blocks) if paying else ([], {})
    row_at = scores.row.tolist()  # each diagnosis' row: itself, or the form its reasons are read in
    held_unconfirmed = unconfirmed(kb, scores)  # asked by the work-up and the leaflet too: worked out once
    differential = [
        _listed(
            kb,
            t,
            i,
            row_at[i],
            shown_by[i],
            (post_at[i], prior_at[i], log_lr_at[i], defining_at[i]),
            blocks,
            kb.diseases[i].id in held_unconfirmed,
            lang,
        )
        for i in listed
    ]
    for i, result in zip(listed, differential, strict=True):
        if kb.diseases[i].forms:  # with forms: say which one its reasons are read in
            _put_form(kb, result, row_at[i], float(scores.row_weight[row_at[i]]), lang)

    status = _phosphocalcic_status(evidence)
    severe = _urgent_calcium(panel, evidence, kb, lang)
    lysis = _tumour_lysis(panel, evidence, lang)
    urgent = [i for i in (lysis, severe) if i is not None]
    issues: list[Issue] = [*urgent, *panel.warnings, *evidence.warnings]
    top_rule = kb.categories[category]
    if status != "unknown" and top_rule.phosphocalcic not in ("either", status):
        issues.append(
            _warning(
                "engine.category_rule",
                message(
                    "category_inconsistent",
                    lang,
                    category=top_rule.fr if lang == "fr" else top_rule.en,
                    status=message(f"status_{status}", lang),
                    rule=top_rule.rule.get(lang),
                ),
            )
        )
    workup, left_out = missing_workup(
        case, evidence, kb, post, lang=lang, scores=scores, unconfirmed_ids=held_unconfirmed
    )
    if status == "unknown" and not any(lab.test in ("calcium", "ionized_calcium", "phosphate") for lab in case.labs):
        # the work-up may leave the panel out (a leading diagnosis no metabolic cause rivals): the
        # warning then does not ask for it (a second clinical review read 'panel not proposed'
        # and 'until they are measured' in one report)
        panel_left_out = any(part.id == PANEL_LEFT_OUT for part in left_out)
        key = "no_phosphocalcic_not_asked" if panel_left_out else "no_phosphocalcic"
        issues.append(_warning("engine.no_phosphocalcic", message(key, lang)))

    staging = stage_cvi(evidence, kb, lang=lang) if staging_relevant(evidence, kb, post) else None
    return built(
        DiagnosisReport,
        {
            "case_id": case.id,
            "category": category,
            "category_probabilities": {k: _shown(v) for k, v in cat_probs.items()},
            "category_explanation": explanation,
            "category_basis": factors,
            "category_prior": dict(_category_prior(kb, t)),
            "phosphocalcic_status": status,
            "classification": _classification(kb, t, status, lang),
            "differential": differential,
            "excluded": excluded,
            "workup": [w.text for w in workup],
            "workup_steps": workup,
            "workup_omitted": [part.text for part in left_out],
            "workup_left_out": left_out,
            "next_questions": next_questions(
                scores, kb, lang=lang, observed=_not_to_ask(evidence, kb, case.patient.age)
            ),
            "staging": staging,
            "warnings": [i.render(lang) for i in issues],
            "issues": issues,
            "labs": panel,
            "metadata": built(
                Metadata,
                {
                    "calcinosis_version": __version__,
                    "kb_version": kb.version,
                    "case_format_version": kb.vocabulary.format_version,
                    "analysis_time": _now(),
                    "language": lang,
                    "disclaimer": message("disclaimer", lang),
                    "measured": measured_performance(kb, differential[0].probability if differential else None, lang),
                },
            ),
            "case": case,
        },
    )


@dataclass(frozen=True, slots=True)
class _Diagnosis:
    """What a listed diagnosis shows that the knowledge base alone decides, in one language."""

    id: str
    name: str
    category: str
    references: tuple[str, ...]
    codes: tuple[tuple[str, tuple[str, ...]], ...]  # by system, the empty systems left out


def _diagnosis(kb: KnowledgeBase, t: Tables, i: int, lang: str) -> _Diagnosis:
    """Diagnosis ``i``'s fixed part, written once per knowledge base and language."""
    key = ("diagnosis", i, lang)
    found: _Diagnosis | None = t.texts.get(key)
    if found is None:
        d = kb.diseases[i]
        found = t.texts[key] = _Diagnosis(
            d.id,
            d.name(lang),
            d.category,
            tuple(d.references),
            _codes(kb, t, i),
        )
    return found


_CLOCK: list[tuple[int, str]] = [(-1, "")]  # the last second asked for, and its text


def _now() -> str:
    """The time of the analysis to the second, as ISO 8601 in UTC
    (``datetime.now(UTC).isoformat(timespec="seconds")``): written once per second, since a
    process diagnosing cases in a row asks for the same second hundreds of times."""
    second = int(time.time())
    last, text = _CLOCK[0]
    if second != last:
        text = dt.datetime.fromtimestamp(second, dt.UTC).isoformat(timespec="seconds")
        _CLOCK[0] = (second, text)
    return text


_WARNING_GIVEN = frozenset({"level", "code", "message"})


SEVERE_HYPERCALCAEMIA = "engine.severe_hypercalcaemia"
"""The issue code of a hypercalcaemia to correct first: above the emergency threshold, from the
prompt-treatment one (3.0 mmol/L), or raised with symptoms."""
SEVERE_HYPOCALCAEMIA = "engine.severe_hypocalcaemia"
"""The issue code of a hypocalcaemia below the emergency threshold (Turner 2016)."""
TUMOUR_LYSIS = "engine.tumour_lysis"
"""The issue code of a possible tumour lysis syndrome: a raised phosphate and uric acid with a
kidney injury in a blood cancer or under chemotherapy (Cairo-Bishop 2004)."""
TUMOUR_LYSIS_TO_CONSIDER = "engine.tumour_lysis_to_consider"
"""The issue code of the same findings in a chronic kidney disease, where they are the baseline:
not an emergency, a question (has the kidney function changed since the cancer's treatment?)."""
CHRONIC_KIDNEY_FEATURES = ("condition:chronic_kidney_disease", "condition:dialysis", "condition:kidney_transplant")
"""What explains a raised creatinine, phosphate and uric acid without an acute injury."""
URGENT_REFERENCES = {TUMOUR_LYSIS: ("cairo_bishop2004",)}
"""The references of an emergency other than a calcium threshold (checked against the references
by a test: the engine cites them by id)."""
URGENT_CODES = (SEVERE_HYPERCALCAEMIA, SEVERE_HYPOCALCAEMIA, TUMOUR_LYSIS)
"""The emergencies every view puts first (the summary, manage, the case page), before any work-up."""


def _calcium_readings(panel: LabPanel, *, highest: bool) -> list[tuple[float, str]]:
    """The calcium values that can say how far calcium is from normal: the albumin-corrected ones
    and the total readings they do not stand for (a corrected value is computed from the first
    exact total reading), without the readings said as at most (``highest``) or at least a value."""
    out: list[tuple[float, str]] = []
    corrected = panel.tests.get("corrected_calcium")
    if corrected is not None:
        out += [(r.value_si, "corrected_calcium") for r in corrected.readings if r.value_si is not None]
    total = panel.tests.get("calcium")
    readings = total.readings if total is not None else []
    covered = next((r for r in readings if r.value_si is not None and r.qualifier is None), None) if out else None
    bounds = ("<", "<=") if highest else (">", ">=")
    out += [
        (r.value_si, "calcium")
        for r in readings
        if r.value_si is not None and r.qualifier not in bounds and r is not covered
    ]
    return out


def _urgent_calcium(panel: LabPanel, evidence: Evidence, kb: KnowledgeBase, lang: str) -> Issue | None:
    """The calcium emergency of the case, if any: a severe hypercalcaemia, a raised calcium with
    symptoms (vomiting, confusion, polyuria... in the case's findings: a toddler with vitamin D
    intoxication and vomiting had no word of urgency because no value was entered), or a severe
    hypocalcaemia (a newborn at 1.55 mmol/L had its work-up and a low-calcium milk first)."""
    severe = _severe_hypercalcaemia(panel, kb, lang)
    if severe is not None:
        return severe
    low = _calcium_readings(panel, highest=False)
    limit = kb.threshold("calcium_severe_low_mmol_l")
    if low and min(low)[0] < limit:
        # a total calcium alone may be a low albumin's: the ionised or corrected calcium is
        # measured now, and the infusion given if it confirms or with symptoms (Turner 2016 reads
        # the albumin-adjusted calcium; a French clinical review: calcium IV 'first' for a total of
        # 1.65 mmol/L whose albumin was not known, beside 'a low albumin lowers the total calcium')
        uncorrected = any(w.code == CALCIUM_UNCORRECTED for w in panel.warnings)
        key = "severe_hypocalcaemia_total" if uncorrected else "severe_hypocalcaemia"
        return _calcium_warning(SEVERE_HYPOCALCAEMIA, key, min(low), limit, kb, lang)
    obs = evidence.observations
    raised, symptoms = obs.get("lab:calcium_high"), obs.get("finding:hypercalcemia_symptoms")
    known = obs.get("condition:hypercalcemia_known")
    # the calcium measured decides; a known hypercalcaemia stands for it only when none was
    # (a history of it with a calcium of 1.6 mmol/L was told to correct a high calcium)
    high = raised.present if raised is not None else known is not None and known.present
    if symptoms is not None and symptoms.present and high:
        return _warning(SEVERE_HYPERCALCAEMIA, message("symptomatic_hypercalcaemia", lang))
    return _marked_hypercalcaemia(panel, kb, lang)


def _marked_hypercalcaemia(panel: LabPanel, kb: KnowledgeBase, lang: str) -> Issue | None:
    """A calcium from the prompt-treatment threshold (constants.yaml ``calcium_prompt_mmol_l``,
    3.0 mmol/L, Walsh 2016: '3.0-3.5 mmol/L ... prompt treatment is usually indicated') up to
    the emergency one, said as a calcium to treat first: a confused haemodialysis patient at
    3.39 mmol/L (her confusion not entered) had no acute plan, her calcium followed 'at least
    yearly' (a clinical review). Read as :func:`_severe_hypercalcaemia` reads its threshold."""
    limit = kb.threshold("calcium_prompt_mmol_l")
    highest = _highest_calcium(panel)
    if highest is None or highest[0] < limit:
        return None
    return _calcium_warning(SEVERE_HYPERCALCAEMIA, "marked_hypercalcaemia", highest, limit, kb, lang)


def _tumour_lysis(panel: LabPanel, evidence: Evidence, lang: str) -> Issue | None:
    """A possible tumour lysis syndrome, said first: a raised phosphate and uric acid with an acute
    kidney injury (or a raised creatinine, a reduced eGFR, with no chronic kidney disease to
    explain them) in a leukaemia, a lymphoma or under chemotherapy. A French clinical review: a
    girl of 19 a week after the relapse of her leukaemia, with those four and a raised calcium, had
    radiographs as her first next step and a visit every 3 to 6 months (Cairo-Bishop 2004: the
    syndrome leads to kidney failure and can be life-threatening; ALL is among its highest-risk
    settings). In a chronic kidney disease, on dialysis or after a transplant a raised phosphate and
    uric acid are the baseline (a code review: a dialysis patient with an old lymphoma was sent to
    the emergency department): the syndrome is then a question for the clinician, not an emergency."""
    present = evidence.present
    cancer = any(present(f) for f in ("condition:leukemia", "condition:lymphoma", "exposure:chemotherapy"))
    if not (present("lab:phosphate_high") and present("lab:uric_acid_high") and cancer):
        return None
    chronic = any(present(f) for f in CHRONIC_KIDNEY_FEATURES)
    reduced = present("lab:egfr_below_60") or panel.status("creatinine") == "high"
    if present("condition:acute_kidney_injury") or (reduced and not chronic):
        return _warning(TUMOUR_LYSIS, message("tumour_lysis", lang))
    if chronic:
        return _warning(TUMOUR_LYSIS_TO_CONSIDER, message("tumour_lysis_to_consider", lang))
    return None


def _calcium_warning(
    code: str, key: str, reading: tuple[float, str], limit: float, kb: KnowledgeBase, lang: str
) -> Issue:
    """The warning of a calcium beyond an emergency threshold: the test named in words, its value
    and the limit in the reader's number format."""
    value, test = reading
    text = message(
        key,
        lang,
        test=lower_first(lab_name(kb, test, lang)),
        value=decimal(value, lang, 2),
        limit=decimal(limit, lang, 2),
    )
    return _warning(code, text)


def _severe_hypercalcaemia(panel: LabPanel, kb: KnowledgeBase, lang: str) -> Issue | None:
    """A warning, first of all, when calcium is above the emergency threshold (constants.yaml
    ``calcium_severe_mmol_l``, 3.5 mmol/L, Walsh 2016): the highest of the albumin-corrected
    value and of the total readings it does not stand for (it is computed from the first exact
    one); a reading said as below or at most a value says nothing of how high it is."""
    limit = kb.threshold("calcium_severe_mmol_l")
    highest = _highest_calcium(panel)
    if highest is None or highest[0] <= limit:
        return None
    return _calcium_warning(SEVERE_HYPERCALCAEMIA, "severe_hypercalcaemia", highest, limit, kb, lang)


def _highest_calcium(panel: LabPanel) -> tuple[float, str] | None:
    """The highest of :func:`_calcium_readings` that can say how high calcium is, or None: the
    one reading both hypercalcaemia thresholds (emergency and prompt treatment) compare."""
    return max(_calcium_readings(panel, highest=True), default=None)


def _warning(code: str, text: str) -> Issue:
    """``Issue(level=WARNING, code=code, message=text)``, built rather than validated (``results.built``):
    validating it copied its default list of suggestions, and most reports carry one of these."""
    fields = {
        "level": IssueLevel.WARNING,
        "code": code,
        "message": text,
        "location": "",
        "expected": "",
        "suggestions": [],
    }
    return built(Issue, fields, _WARNING_GIVEN)


def _category_prior(kb: KnowledgeBase, t: Tables) -> dict[str, float]:
    """Each category's prior share, read once per knowledge base (each report gets its own copy)."""
    found: dict[str, float] | None = t.texts.get(("category_prior",))
    if found is None:
        found = t.texts[("category_prior",)] = {c: kb.category_model.priors[c].value for c in kb.category_names}
    return found


def _listed(
    kb: KnowledgeBase,
    t: Tables,
    i: int,
    row: int,
    shown: Shown,
    numbers: tuple[float, float, float, float],
    blocks: tuple[list[float], dict[int, list[str]]],
    held_unconfirmed: bool,
    lang: str,
) -> DiagnosisResult:
    """One diagnosis of the differential, its reasons given: its own references, then those of
    its reasons in their order, each once. ``row``: the row its reasons are read in (itself, or
    one of its forms), whose blocks of defining features it pays for; ``blocks``: what each
    block costs and the blocks the case only denies, with their denied features (read when
    this diagnosis pays for a block); ``numbers``: its probability, prior, log likelihood ratio
    and log defining cost; ``held_unconfirmed``: :func:`calcinosis.engine.defining.unconfirmed`."""
    probability, prior, log_lr, defining_log = numbers
    d = _diagnosis(kb, t, i, lang)
    against = shown.against
    penalty = defining_log if defining_log < 0 and t.blocks_of[row] else None
    unreported: list[BlockName] = []
    if penalty is not None:
        cost, denied = blocks
        paid = [b for b in t.blocks_of[row] if cost[b] < 0]
        against[:0] = [
            _denied_text(kb, t, b, denied[b], lang) if b in denied else _block_text(kb, t, b, lang) for b in paid
        ]
        unreported = [t.block_kind[b] for b in paid]
    return built(
        DiagnosisResult,
        {
            "diagnosis": d.id,
            "name": d.name,
            "category": d.category,
            "probability": _shown(probability),
            "pretest_probability": round(prior, 5),
            "composite_likelihood_ratio": float(f"{math.exp(log_lr):.4g}"),
            "defining_unreported_lr": None if penalty is None else float(f"{math.exp(penalty):.4g}"),
            "unconfirmed": held_unconfirmed,
            "unreported_blocks": unreported,
            "for_": shown.for_,
            "against": against,
            "evidence": shown.evidence,
            "references": list(dict.fromkeys(chain(d.references, *shown.references))),
            "codes": {system: list(codes) for system, codes in d.codes},
            "form": None,
        },
    )


def _put_form(kb: KnowledgeBase, result: DiagnosisResult, row: int, weight: float, lang: str) -> None:
    """Say which form of a diagnosis with forms its reasons are read in (``row``, carrying
    ``weight`` of its likelihood for the case): its ``form``, and the sentence first among the
    reasons against, with the factor its share puts on the likelihood (its reasons and blocks
    of defining features are already that form's)."""
    disease = kb.diseases[kb.row_disease(row)]
    form = kb.row_form(row)
    share = disease.main_share if form is None else form.share
    name = form.names.get(lang) if form is not None else disease.main_form.get(lang) if disease.main_form else ""
    text = message(
        "form_shown",
        lang,
        form=name,
        share=_fmt_share(share, lang),
        name=disease.name(lang) if lang != "fr" else lower_first(disease.name(lang)),
        weight=_fmt_share(weight, lang),
        # the diagnosis' LR is the form's own times share / weight (its share of the patients,
        # the other forms adding the rest of the mixture)
        lr=fmt_lr(share / weight, lang),
    )
    result.against.insert(0, text)
    result.form = built(
        FormShown,
        {
            "id": "main" if form is None else form.id,
            "name": name,
            "share": round(share, 4),
            "likelihood_share": _shown(weight),
            "text": text,
        },
    )


def _fmt_share(p: float, lang: str) -> str:
    """A share in a sentence: '10%' in English, '10 %' in French (Babel)."""
    return f"{p:.0%}" if lang != "fr" else percent(p, lang)


def _classification(kb: KnowledgeBase, t: Tables, status: str, lang: str) -> list[CategoryRule]:
    """The seeds' classification rules and whether the case's calcium-phosphate balance fits each."""
    key = ("classification", status, lang)
    found: list[dict[str, Any]] | None = t.texts.get(key)
    if found is None:
        found = t.texts[key] = [
            {
                "category": name,
                "rule": spec.rule.get(lang),
                "phosphocalcic_expected": spec.phosphocalcic,
                "consistent": None if status == "unknown" else (spec.phosphocalcic in ("either", status)),
            }
            for name, spec in kb.categories.items()
        ]
    return [built(CategoryRule, dict(fields)) for fields in found]
