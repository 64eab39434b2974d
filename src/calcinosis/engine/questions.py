"""Next best questions: the unreported features with the largest expected information gain.

For each unobserved feature f, with current posterior p over diagnoses:
EIG(f) = H(p) - [P(f) H(p | f present) + P(not f) H(p | f absent)], with P(f) = sum_d p_d P(f | d).
The update ignores dependency damping (it is a one-step look-ahead, ranked, not reported as a
probability). Features sharing one question (the lab states of one test) or one dependency
group (dialysis, CKD, eGFR) are merged: only the most informative of them is asked. A question
whose expected gain is below ``next_question_min_gain_bits`` is not shown, so a settled case
may get fewer than three (or none); at most ``next_questions``. Each question says, in words,
which diagnoses a yes and a no would favour or argue against; the gain stays in the JSON.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import numpy.typing as npt

from calcinosis.engine.results import Question
from calcinosis.engine.scoring import Scores
from calcinosis.i18n import lower_first, message
from calcinosis.kb.model import KnowledgeBase

__all__ = ["next_questions"]


def _entropy(p: npt.NDArray[np.float64], axis: int = 0) -> npt.NDArray[np.float64]:
    safe = np.where(p > 0, p, 1.0)
    return np.asarray(-(p * np.log2(safe)).sum(axis=axis))


def _effect(favour: list[str], against: list[str], lang: str) -> str:
    """'favours A, B; argues against C' in the clinician's words (or that it changes little)."""
    if lang == "fr":  # names inside a sentence
        favour, against = [lower_first(n) for n in favour], [lower_first(n) for n in against]
    parts = []
    if favour:
        parts.append(message("question_favours", lang, names=", ".join(favour)))
    if against:
        parts.append(message("question_against", lang, names=", ".join(against)))
    return message("list_separator", lang).join(parts) if parts else message("question_little", lang)


def next_questions(scores: Scores, kb: KnowledgeBase, *, lang: str, observed: Collection[str] = ()) -> list[Question]:
    """The most informative unreported items, best first; ``observed`` (every feature the case
    states or implies, scored or not: dialysis implies an eGFR below 15) is never asked."""
    want = int(kb.constants.next_questions.value)
    floor = kb.constants.next_question_min_gain_bits.value
    # diagnoses below 1e-6 cannot move the entropy measurably: leave them out of the look-ahead
    live = np.flatnonzero(scores.posterior >= 1e-6)
    p = scores.posterior[live] / scores.posterior[live].sum()
    prior_entropy = _entropy(p)
    # no answer can teach more than the current uncertainty (gain = H(p) - E[H(p | answer)], and
    # the expectation is a sum of non-negative terms, in floating point too): a settled case has
    # no question above the floor, and the look-ahead below would only confirm it
    if want <= 0 or prior_entropy < floor:
        return []
    mask = kb.askable.copy()
    mask[scores.feature_pos] = False
    mask[[kb.feature_pos(fid) for fid in observed]] = False
    askable = np.flatnonzero(mask)
    f1 = kb.frequency[np.ix_(live, askable)]
    p_yes = p @ f1
    joint_yes = p[:, None] * f1
    joint_no = p[:, None] * (1 - f1)
    post_yes = joint_yes / p_yes
    post_no = joint_no / (1 - p_yes)
    gain = prior_entropy - (p_yes * _entropy(post_yes) + (1 - p_yes) * _entropy(post_no))
    order = np.argsort(-gain, kind="stable")
    out: list[Question] = []
    seen_text: set[str] = set()
    seen_groups: set[str] = set()
    top = np.argsort(-p)[:8]
    names = {int(d): kb.diseases[int(live[d])].name(lang) for d in top}  # only the top ones are named
    for j in order:
        if len(out) >= want or gain[j] < floor:
            break
        feature = kb.features[kb.feature_ids[askable[j]]]
        text = feature.question(lang)
        if text in seen_text or feature.group in seen_groups:
            continue
        seen_text.add(text)
        seen_groups.add(feature.group)
        yes = post_yes[:, j] - p
        no = post_no[:, j] - p
        raise_ = [names[d] for d in top if yes[d] > 0.02][:3]
        lower = [names[d] for d in top if yes[d] < -0.02][:3]
        no_raise = [names[d] for d in top if no[d] > 0.02][:3]
        no_lower = [names[d] for d in top if no[d] < -0.02][:3]
        out.append(
            Question(
                feature=feature.id,
                question=text,
                expected_information_bits=round(float(gain[j]), 4),
                would_raise=raise_,
                would_lower=lower,
                if_no_raise=no_raise,
                if_no_lower=no_lower,
                if_yes=_effect(raise_, lower, lang),
                if_no=_effect(no_raise, no_lower, lang),
            )
        )
    return out
