"""``diagnose(case, kb)``: the whole pipeline from a validated case to the result object."""

from __future__ import annotations

import datetime as dt
import math
from functools import lru_cache

import numpy as np

from calcinosis._version import __version__
from calcinosis.case.labs import LabPanel, interpret_labs
from calcinosis.case.model import Case
from calcinosis.engine.category import CategoryStep
from calcinosis.engine.evidence import DERANGED_FEATURES, Evidence, collect_evidence
from calcinosis.engine.questions import next_questions
from calcinosis.engine.results import (
    CategoryFactor,
    CategoryRule,
    Contribution,
    DiagnosisReport,
    DiagnosisResult,
    Metadata,
)
from calcinosis.engine.scoring import Scores, score
from calcinosis.engine.workup import missing_workup
from calcinosis.errors import CaseValidationError
from calcinosis.i18n import agree, decimal, lower_first, message, percent, significant
from calcinosis.issues import Issue, IssueLevel
from calcinosis.kb.model import Disease, KnowledgeBase
from calcinosis.kb.schema import CATEGORIES
from calcinosis.management.staging import stage_cvi, staging_relevant

__all__ = ["Analysis", "analyse", "diagnose"]

_MIN_SHOWN_LOG_LR = math.log(1.1)


@lru_cache(maxsize=8192)
def _fmt_lr(lr: float, lang: str = "en") -> str:
    """A likelihood ratio as shown: two significant figures below 10, whole above ('RV 4,4' in French).

    Cached: a knowledge base has a few thousand (diagnosis, feature, state) ratios, met again
    case after case, and the French form goes through Babel (tens of microseconds each)."""
    if lang != "fr":
        return f"{lr:.2g}" if lr < 10 else f"{lr:.0f}"
    return significant(lr, lang) if lr < 10 else decimal(lr, lang, 0)


def _shown(p: float) -> float:
    """A probability rounded to 4 decimals for the result, never to a certainty or to nothing it is not."""
    if 0 < p < 1:
        return min(max(round(p, 4), 0.0001), 0.9999)
    return p


@lru_cache(maxsize=4096)
def _fmt_p(p: float, lang: str) -> str:
    """A frequency in a sentence: '75%' in English as before, '75 %' (Babel) in French (cached:
    the frequencies of a knowledge base are a few hundred distinct numbers)."""
    return f"{p:.0%}" if lang != "fr" else percent(p, lang)


def state_word(namespace: str, present: bool, lang: str, *, gender: str = "m", plural: bool = False) -> str:
    """'present' / 'absent' agreed with the feature's French label; a site or a tissue is
    'atteint' / 'non atteint' rather than present ('Fesse non atteinte')."""
    if namespace in ("site", "tissue"):
        key = "involved" if present else "not_involved"
    else:
        key = "present" if present else "absent"
    return agree(key, lang, gender=gender, plural=plural)


_state_word = lru_cache(maxsize=512)(state_word)  # (namespace, state, language, agreement) -> word


def _contributions(scores: Scores, evidence: Evidence, kb: KnowledgeBase, d: int, lang: str) -> list[Contribution]:
    """The observed features that moved diagnosis ``d`` (LR beyond 1.1 either way after weighting).

    Features the diagnosis says nothing about (its frequency is the baseline, LR 1) are left out.
    A listed diagnosis holds dozens of these, so what does not depend on the feature (templates,
    the diagnosis' name) is looked up once, and the ratios and frequencies are formatted through
    small caches.
    """
    contribution, weight_row = scores.contribution[d], scores.weight[d]
    shown = np.flatnonzero(np.abs(contribution * weight_row) >= _MIN_SHOWN_LOG_LR)
    if not len(shown):
        return []
    disease_name = kb.diseases[d].name(lang)
    if lang == "fr":  # inside a sentence: 'en cas de sclérodermie systémique'
        disease_name = lower_first(disease_name)
    template = message("explanation", lang)
    estimate_mark = message("estimate_mark", lang)
    separator = message("list_separator", lang)
    feature_pos, present_at = scores.feature_pos.tolist(), scores.present.tolist()
    log_lrs, weights = contribution.tolist(), weight_row.tolist()  # Python floats, the same numbers
    keyed: list[tuple[float, Contribution]] = []
    for j in shown.tolist():
        fpos = feature_pos[j]
        fid = kb.feature_ids[fpos]
        feature = kb.features[fid]
        present = present_at[j]
        src = kb.source(d, fpos)
        lr = math.exp(log_lrs[j])
        weight = weights[j]
        basis = evidence.observations[fid].basis
        label = feature.label(lang)
        text = template.format(
            label=label,
            state=_state_word(feature.namespace, present, lang, gender=feature.gender, plural=feature.plural),
            basis=separator.join(basis),
            lr=_fmt_lr(lr, lang),
            frequency=_fmt_p(src.frequency if present else 1 - src.frequency, lang),
            name=disease_name,
            baseline=_fmt_p(feature.baseline if present else 1 - feature.baseline, lang),
            weight=message("damped", lang, weight=f"{weight:.2g}" if lang != "fr" else significant(weight, lang))
            if weight < 0.999
            else "",
        ) + (estimate_mark if src.estimate else "")
        shown_lr, shown_weight = round(lr, 4), round(weight, 4)
        # validated: with pydantic-core, faster than model_construct (a Python loop over the fields)
        item = Contribution(
            feature=fid,
            label=label,
            state="present" if present else "absent",
            basis=list(basis),
            frequency=round(src.frequency, 4),
            baseline=round(feature.baseline, 4),
            likelihood_ratio=shown_lr,
            weight=shown_weight,
            origin=src.origin,
            references=list(src.references),
            estimate=bool(src.estimate),
            note=src.note,
            text=text,
        )
        keyed.append((-abs(math.log(shown_lr)) * shown_weight, item))
    keyed.sort(key=lambda pair: pair[0])  # stable: equal keys keep the order of the features
    return [item for _, item in keyed]


def _category_label(kb: KnowledgeBase, name: str, lang: str) -> str:
    spec = kb.categories[name]
    return spec.fr if lang == "fr" else spec.en


def _category_explanation(step: CategoryStep, kb: KnowledgeBase, lang: str) -> tuple[list[CategoryFactor], str]:
    """The rules as stated by the case, and the sentence naming what put the top category above the next."""
    names = kb.category_names
    order = np.argsort(-step.category_posterior, kind="stable")
    top, second = int(order[0]), int(order[1])
    top_label, second_label = _category_label(kb, names[top], lang), _category_label(kb, names[second], lang)
    factors: list[CategoryFactor] = []
    terms: list[tuple[str, float]] = [
        (message("category_prior_label", lang), float(step.log_prior_term[top] - step.log_prior_term[second])),
        (
            message("category_differential_label", lang),
            float(step.log_differential_term[top] - step.log_differential_term[second]),
        ),
    ]
    strength = kb.constants.rule_strength.value
    for r in step.rules:
        label = r.rule.fr if lang == "fr" else r.rule.en
        likelihood = {c: round(math.exp(v), 4) for c, v in zip(names, r.log_likelihood.tolist(), strict=True)}
        basis = f" ({message('list_separator', lang).join(r.basis)})" if r.basis else ""
        state = agree(f"rule_state_{r.state}", lang, gender=r.rule.gender)
        text = message(
            "rule_text",
            lang,
            label=label,
            state=state,
            basis=basis,
            top_p=f"{likelihood[names[top]]:.2g}" if lang != "fr" else significant(likelihood[names[top]], lang),
            top=top_label,
            second_p=f"{likelihood[names[second]]:.2g}"
            if lang != "fr"
            else significant(likelihood[names[second]], lang),
            second=second_label,
        )
        factors.append(
            CategoryFactor(
                rule=r.rule.id,
                label=label,
                state=r.state,
                basis=list(r.basis),
                likelihood=likelihood,
                references=list(r.rule.references or kb.category_model.references),
                text=text,
            )
        )
        gap = strength * float(r.log_likelihood[top] - r.log_likelihood[second])
        if abs(gap) > 1e-9:
            terms.append((f"{label} ({state})", gap))
    terms.sort(key=lambda t: -abs(t[1]))
    shown = [
        message("category_factor", lang, label=label, ratio=_fmt_lr(math.exp(gap), lang))
        for label, gap in terms[:4]
        if abs(gap) >= math.log(1.1)
    ]
    explanation = message(
        "category_driver",
        lang,
        top=top_label,
        second=second_label,
        factors=message("list_separator", lang).join(shown) or "—",
    )
    return factors, explanation


def _defining_text(d: Disease, kb: KnowledgeBase, lang: str, log_penalty: float) -> str:
    assert d.defining is not None
    labels = [kb.features[f].label(lang) for f in d.defining.any_of[:4]]
    more = "…" if len(d.defining.any_of) > 4 else ""
    p = d.defining.unreported_probability
    return message(
        "defining_unreported",
        lang,
        features=", ".join(labels) + more,
        name=d.name(lang) if lang != "fr" else lower_first(d.name(lang)),
        p=f"{p:.2g}" if lang != "fr" else significant(p, lang),
        lr=_fmt_lr(math.exp(log_penalty), lang),
        basis=message(f"basis_{d.defining.basis}", lang),
    )


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
    post = scores.posterior
    step = scores.category
    cat_probs = {c: float(step.category_posterior[i]) for i, c in enumerate(kb.category_names)}
    category = max(CATEGORIES, key=lambda c: cat_probs[c])
    factors, explanation = _category_explanation(step, kb, lang)

    threshold = kb.constants.differential_min_probability.value
    order = np.argsort(-post, kind="stable")
    differential: list[DiagnosisResult] = []
    excluded: list[str] = []
    post_at = post.tolist()  # most diagnoses are only compared with the threshold: Python floats
    for i in order.tolist():
        d = kb.diseases[i]
        if post_at[i] < threshold:
            excluded.append(d.id)
            continue
        shown = _contributions(scores, evidence, kb, i, lang)
        against = [c.text for c in shown if c.likelihood_ratio < 1]
        penalty = float(scores.defining_log[i]) if scores.defining_log[i] < 0 and d.defining is not None else None
        if penalty is not None:
            against.insert(0, _defining_text(d, kb, lang, penalty))
        refs: list[str] = list(d.references)
        for c in shown:
            refs.extend(r for r in c.references if r not in refs)
        differential.append(
            DiagnosisResult(
                diagnosis=d.id,
                name=d.name(lang),
                category=d.category,
                probability=_shown(float(post[i])),
                pretest_probability=round(float(scores.prior[i]), 5),
                composite_likelihood_ratio=float(f"{math.exp(scores.log_score[i] - kb.log_prior[i]):.4g}"),
                defining_unreported_lr=None if penalty is None else float(f"{math.exp(penalty):.4g}"),
                for_=[c.text for c in shown if c.likelihood_ratio > 1],
                against=against,
                evidence=shown,
                references=refs,
                codes={k: v for k, v in d.codes.model_dump().items() if v},
            )
        )

    status = _phosphocalcic_status(evidence)
    rules = []
    for name, spec in kb.categories.items():
        consistent = None if status == "unknown" else (spec.phosphocalcic in ("either", status))
        rules.append(
            CategoryRule(
                category=name,
                rule=spec.rule.get(lang),
                phosphocalcic_expected=spec.phosphocalcic,
                consistent=consistent,
            )
        )
    issues: list[Issue] = [*panel.warnings, *evidence.warnings]
    top_rule = kb.categories[category]
    if status != "unknown" and top_rule.phosphocalcic not in ("either", status):
        issues.append(
            Issue(
                level=IssueLevel.WARNING,
                code="engine.category_rule",
                message=message(
                    "category_inconsistent",
                    lang,
                    category=top_rule.fr if lang == "fr" else top_rule.en,
                    status=message(f"status_{status}", lang),
                    rule=top_rule.rule.get(lang),
                ),
            )
        )
    if status == "unknown" and not any(lab.test in ("calcium", "ionized_calcium", "phosphate") for lab in case.labs):
        issues.append(
            Issue(
                level=IssueLevel.WARNING,
                code="engine.no_phosphocalcic",
                message=message("no_phosphocalcic", lang),
            )
        )

    workup, omitted = missing_workup(case, evidence, kb, post, lang=lang)
    staging = stage_cvi(evidence, kb, lang=lang) if staging_relevant(evidence, kb, post) else None
    return DiagnosisReport(
        case_id=case.id,
        category=category,
        category_probabilities={k: _shown(v) for k, v in cat_probs.items()},
        category_explanation=explanation,
        category_basis=factors,
        category_prior={c: kb.category_model.priors[c].value for c in kb.category_names},
        phosphocalcic_status=status,
        classification=rules,
        differential=differential,
        excluded=excluded,
        workup=[w.text for w in workup],
        workup_steps=workup,
        workup_omitted=omitted,
        next_questions=next_questions(scores, kb, lang=lang, observed=evidence.observations.keys()),
        staging=staging,
        warnings=[i.render(lang) for i in issues],
        issues=issues,
        labs=panel,
        metadata=Metadata(
            calcinosis_version=__version__,
            kb_version=kb.version,
            case_format_version=kb.vocabulary.format_version,
            analysis_time=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            language=lang,
            disclaimer=message("disclaimer", lang),
        ),
        case=case,
    )
