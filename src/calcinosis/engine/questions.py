"""Next best questions: the unreported features with the largest expected information gain.

For each unobserved feature f, with current posterior p over diagnoses:
EIG(f) = H(p) - [P(f) H(p | f present) + P(not f) H(p | f absent)], with P(f) = sum_d p_d P(f | d).
The update ignores dependency damping (it is a one-step look-ahead, ranked, not reported as a
probability). Features sharing one question (the lab states of one test) or one dependency
group (dialysis, CKD, eGFR) are merged: only the most informative of them is asked. A question
whose expected gain is below ``next_question_min_gain_bits`` is not shown, so a settled case
may get fewer than three (or none); at most ``next_questions``. Each question says, in words,
which diagnoses a yes and a no would favour or argue against (a question whose answers move
none of the named diagnoses by ``_SHIFT`` is left out); the gain stays in the JSON.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache
from itertools import compress, islice

import numpy as np
import numpy.typing as npt

from calcinosis.engine.results import Question, built
from calcinosis.engine.scoring import Scores
from calcinosis.engine.tables import answer_entropy, tables
from calcinosis.i18n import lower_first, message
from calcinosis.kb.model import KnowledgeBase

__all__ = ["next_questions"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_NAMED = 8  # the diagnoses a question's effect can name: the most probable ones
_SHIFT = 0.02  # a change of posterior below this is not worth naming
_NO_GAIN = 1e-9  # far above the rounding of a gain that is 0 (a floor above it lets such features go)


@lru_cache(maxsize=2048)
def _effect(favour: tuple[str, ...], against: tuple[str, ...], lang: str) -> str:
    """'favours A, B; argues against C' in the clinician's words (or that it changes little).

    Cached: a function of diagnosis names only, and the same few leading diagnoses come back."""
    if lang == "fr":  # names inside a sentence
        favour, against = tuple(lower_first(n) for n in favour), tuple(lower_first(n) for n in against)
    parts = []
    if favour:
        parts.append(
            message("question_favours_many" if len(favour) > 1 else "question_favours", lang, names=", ".join(favour))
        )
    if against:
        parts.append(
            message("question_against_many" if len(against) > 1 else "question_against", lang, names=", ".join(against))
        )
    return message("list_separator", lang).join(parts) if parts else message("question_little", lang)


def next_questions(scores: Scores, kb: KnowledgeBase, *, lang: str, observed: Collection[str] = ()) -> list[Question]:
    """The most informative unreported items, best first; ``observed`` (every feature the case
    states or implies, scored or not: dialysis implies an eGFR below 15) is never asked.

    The look-ahead is a handful of array operations over (live diagnoses x the askable
    features whose gain can reach the floor: ``_within_reach``, a dozen of two hundred in a
    typical case); the questions themselves are then read from it with Python numbers
    (indexing numpy arrays one element at a time cost more than the arithmetic).
    """
    want = int(kb.constants.next_questions.value)
    floor = kb.constants.next_question_min_gain_bits.value
    t = tables(kb)
    # diagnoses below 1e-6 cannot move the entropy measurably: leave them out of the look-ahead
    live = (scores.posterior >= 1e-6).nonzero()[0]
    p_live = scores.posterior[live]
    p = p_live / np.add.reduce(p_live)
    # every p is positive (at least 1e-6 before normalising): no guard against log(0) needed
    prior_entropy = -np.add.reduce(p * np.log2(p))
    # no answer can teach more than the current uncertainty (gain = H(p) - E[H(p | answer)], and
    # the expectation is a sum of non-negative terms, in floating point too): a settled case has
    # no question above the floor, and the look-ahead below would only confirm it
    if want <= 0 or prior_entropy < floor:
        return []
    mask = kb.askable.copy()
    mask[scores.feature_pos] = False
    mask[np.fromiter(map(t.position.__getitem__, observed), dtype=np.int64, count=len(observed))] = False
    askable = mask.nonzero()[0]
    # a diagnosis with forms answers as the form that carries most of its likelihood (Scores.row)
    rows = scores.row.take(live) if t.mixed else live
    f1 = kb.frequency.take(rows, axis=0).take(askable, axis=1)
    p_yes = p @ f1  # over every askable feature, as always (the product's last bit does not move)
    if floor > _NO_GAIN:
        # only the features whose gain can reach the floor are looked ahead (most cannot: a
        # feature as frequent in every live diagnosis has none at all); each one's gain is the
        # same whichever others are looked ahead with it
        entropy = t.frequency_entropy.take(rows, axis=0)
        reach = _within_reach(p, p_yes, entropy, askable, floor, zeros=not t.frequencies_inside)
        if not len(reach):
            return []
        askable, p_yes, f1 = askable[reach], p_yes[reach], f1.take(reach, axis=1)
    n_ask = len(askable)
    post, gain = _look_ahead(p, f1, p_yes, prior_entropy, zeros=not t.frequencies_inside)
    # best first (a stable sort: ties in feature order), read until the floor; a NaN gain
    # would sort last and not stop the reading, as before
    gains, askable_at = gain.tolist(), askable.tolist()
    # twice as many as wanted: a question whose answers move none of the named diagnoses is
    # then left for the next (below)
    chosen = _distinct((-gain).argsort(kind="stable").tolist(), gains, floor, askable_at, kb, lang, 2 * want)
    if not chosen:
        return []
    top = (-p).argsort()[:_NAMED]
    every_name = _names(kb, lang)
    names = [every_name[d] for d in live[top].tolist()]  # only the top ones are named
    shifts = post.take(top, axis=0).take([*chosen, *(j + n_ask for j in chosen)], axis=1) - p[top][:, None]
    # which named diagnoses each answer raises and lowers by more than _SHIFT: one comparison
    # for all of them (a NaN shift is in neither), then the first three of each
    raised, lowered = (shifts > _SHIFT).T.tolist(), (shifts < -_SHIFT).T.tolist()
    n_chosen = len(chosen)
    out: list[Question] = []
    for k, j in enumerate(chosen):
        if len(out) >= want:
            break
        feature = kb.features[kb.feature_ids[askable_at[j]]]
        raise_, lower = _first_three(names, raised[k]), _first_three(names, lowered[k])
        no_raise = _first_three(names, raised[n_chosen + k])
        no_lower = _first_three(names, lowered[n_chosen + k])
        if not (raise_ or lower or no_raise or no_lower):
            # 'yes: changes little · no: changes little' (a clinical re-review: "Is the patient
            # on dialysis?" for a calciphylaxis at 98 %): its gain is spread over diagnoses too
            # unlikely to name, and the clinician learns nothing from the question
            continue
        out.append(
            built(
                Question,
                {
                    "feature": feature.id,
                    "question": feature.question(lang),
                    "expected_information_bits": round(gains[j], 4),
                    "would_raise": raise_,
                    "would_lower": lower,
                    "if_no_raise": no_raise,
                    "if_no_lower": no_lower,
                    "if_yes": _effect(tuple(raise_), tuple(lower), lang),
                    "if_no": _effect(tuple(no_raise), tuple(no_lower), lang),
                },
            )
        )
    return out


def _within_reach(
    p: FloatArray, p_yes: FloatArray, entropy: FloatArray, askable: IntArray, floor: float, *, zeros: bool
) -> IntArray:
    """The places in ``askable`` of the features whose gain can reach ``floor``.

    A question's gain is the information its answer carries about the diagnosis: the entropy of
    the answer, less its expected entropy once the diagnosis is known, ``h(P(yes)) - sum_d p_d
    h(P(f | d))``, with ``h`` the entropy of a yes/no answer (``entropy``: ``h`` of every
    frequency, live diagnoses x every feature, kept with the knowledge base's tables). It is
    what the look-ahead computes, written otherwise: one product instead of the look-ahead's
    arrays, equal to it up to rounding (1e-14 at most), far below the margin ``_NO_GAIN``
    left here. A NaN (a frequency of 0 or 1, only when ``zeros``) keeps the feature, for the
    look-ahead to decide.
    """
    if zeros:  # log2(0): a P(yes) of 0 or 1, kept as NaN
        with np.errstate(divide="ignore", invalid="ignore"):
            answer = answer_entropy(p_yes)
    else:  # every P(yes) strictly between 0 and 1
        answer = answer_entropy(p_yes)
    known = (p @ entropy).take(askable)
    return np.logical_not(answer - known < floor - _NO_GAIN).nonzero()[0]


def _look_ahead(
    p: FloatArray, f1: FloatArray, p_yes: FloatArray, prior_entropy: float, *, zeros: bool
) -> tuple[FloatArray, FloatArray]:
    """The posterior after each answer (L x 2A: every yes, then every no) and each question's gain.

    The yes and the no side side by side, so that each step is one array operation: P(f | d)
    then P(not f | d), and the posterior after each answer. Each step writes over the last:
    the same operations on the same numbers as building each intermediate afresh (the tests
    hold the two equal to the bit), without allocating an L x 2A array per step. ``zeros``: a
    frequency of 0 or 1 can leave a posterior of 0, whose log is then taken as 0.
    """
    n_ask = len(p_yes)
    answer = np.empty(2 * n_ask)  # P(yes) then P(no)
    answer[:n_ask] = p_yes
    np.subtract(1, p_yes, out=answer[n_ask:])
    post = np.empty((len(p), 2 * n_ask))
    post[:, :n_ask] = f1
    np.subtract(1, f1, out=post[:, n_ask:])
    np.multiply(p[:, None], post, out=post)
    np.divide(post, answer, out=post)
    terms = np.log2(np.where(post > 0, post, 1.0)) if zeros else np.log2(post)
    np.multiply(post, terms, out=terms)
    entropy = -np.add.reduce(terms, axis=0)
    gain = prior_entropy - (p_yes * entropy[:n_ask] + answer[n_ask:] * entropy[n_ask:])
    return post, gain


def _first_three(names: list[str], moved: list[bool]) -> list[str]:
    """The first three of ``names`` whose flag is set, in their order."""
    return list(islice(compress(names, moved), 3))


def _names(kb: KnowledgeBase, lang: str) -> tuple[str, ...]:
    """Every diagnosis' name in ``lang``, in compiled order, written once per knowledge base."""
    t = tables(kb)
    key = ("names", lang)
    found: tuple[str, ...] | None = t.texts.get(key)
    if found is None:
        found = t.texts[key] = tuple(d.name(lang) for d in kb.diseases)
    return found


def _distinct(
    ranked: list[int], gains: list[float], floor: float, askable: list[int], kb: KnowledgeBase, lang: str, want: int
) -> list[int]:
    """The first ``want`` of ``ranked`` with a gain at the floor or above that ask something new:
    features sharing a question (the lab states of one test) or a dependency group are asked
    once, by the best of them."""
    chosen: list[int] = []
    seen_text: set[str] = set()
    seen_groups: set[str] = set()
    for j in ranked:
        if len(chosen) >= want or gains[j] < floor:
            break
        feature = kb.features[kb.feature_ids[askable[j]]]
        text = feature.question(lang)
        if text in seen_text or feature.group in seen_groups:
            continue
        seen_text.add(text)
        seen_groups.add(feature.group)
        chosen.append(j)
    return chosen
