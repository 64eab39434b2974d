"""A diagnosis' age at presentation as a distribution, and its mass in each age band.

Sources summarise the age of a series in one of three ways: a median with its interquartile
range, a mean with its standard deviation, or a median with the youngest and oldest patient.
Each becomes a distribution over age in years (0 to ``OLDEST``) that reproduces it:

- median and quartiles: two half-normals joined at the median, each holding exactly half the
  mass, each with the scale that puts its quartile where the source puts it. A half is
  truncated at age 0 (or at ``OLDEST``) and keeps its half of the mass, so the median is
  always the source's, and the quartile too whenever a half-normal shape can reach it: for a
  childhood summary whose lower quartile lies below half the median (median 20, IQR 7-45),
  none can (the flattest, a uniform density from birth to the median, puts the quartile at
  10), and the lower half is that uniform density. Skewed summaries keep their skew; the
  density steps at the median, which integrating over bands does not notice.
- median and range: the same halves, the youngest and the oldest patient taken as two
  standard deviations from the median (Hozo, Djulbegovic and Hozo 2005, BMC Med Res Methodol
  5:13, doi:10.1186/1471-2288-5-13: range/4 estimates the standard deviation of a series of
  about 15 to 70), each side on its own.
- mean and standard deviation: a normal, the mass below 0 and above ``OLDEST`` removed and the
  rest renormalised (it moves the mean only for a childhood series whose SD is close to it).

A diagnosis whose patients come in two groups (newborns and adults) gives a mixture: the
weighted sum of its summaries' distributions.

Normal tails are thin: an age far from a diagnosis' series gets almost no mass. The loader
gives a share of every diagnosis' patients the ages of other causes (constants.yaml
age_atypical_share): that share is the bands' floor, and it is a floor on the likelihood
ratio, the same in every band (a band's mass at least the share times the band's baseline, so
its ratio at least about the share), not on the mass. The presentation floor (0.02), a floor on
the mass, is not applied to the bands: the reference population puts 2 % of its patients under
1 year and 4.6 % at 1 to 9, so a mass floored at 0.02 gave every adult disease (systemic
sclerosis, lupus, calciphylaxis, CKD) a likelihood ratio near 1 for an infant and 0.4 for a
young child, what its series and its judgement call rare, while it held an old patient's
ratio for a childhood disease at 0.07 to 0.2: how much an age counted depended on the band's
width in the reference population, not on the diagnosis.

Pure functions of the summary: no knowledge of any diagnosis lives here.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np

from calcinosis.i18n import decimal, message, percent
from calcinosis.kb.model import FrequencySource

if TYPE_CHECKING:
    from calcinosis.kb.schema import AgeDistribution, AgeSummary

__all__ = [
    "AGE_PREFIX",
    "COARSE_AGE_FEATURES",
    "IN_YEARS",
    "OLDEST",
    "AgeBand",
    "age_band_errors",
    "age_summary",
    "band_masses",
    "fill_age_bands",
    "summary_cdf",
]

IN_YEARS = {"years": 1.0, "months": 1 / 12, "days": 1 / 365.25}
_Z_QUARTILE = 0.6744897501960817  # the standard normal's upper quartile
_Z_RANGE = 2.0  # the youngest and oldest patient as two standard deviations (Hozo 2005)
OLDEST = 110.0  # no distribution puts patients beyond it (the oldest people recorded lived to 115-122)
_NARROWEST = 1 / 365.25  # the narrowest half of a distribution: a day
# bisection steps on the log scale up to a million years (a span of at most e^20): 40
# halvings leave an error of 2e-11 in log(scale), far below anything a band's share shows
_STEPS = 40
_STANDARD = NormalDist()
# the coarse age features (under 1, under 18, 60 and over): read from cases for management and
# derived from a diagnosis' age; a diagnosis without one may state them instead
COARSE_AGE_FEATURES = ("patient:infant", "patient:child", "patient:older")
AGE_PREFIX = "patient:age_"  # every age band's feature


def _phi(x: float) -> float:
    """The standard normal distribution function."""
    return 0.5 * math.erfc(-x / math.sqrt(2))


@dataclass(frozen=True, slots=True)
class _Half:
    """One side of the median: a half-normal of ``scale`` years from the median towards
    ``bound`` (0 or ``OLDEST``), truncated there, holding half the mass; a scale of infinity is
    the uniform density between the median and the bound."""

    median: float
    bound: float
    scale: float

    def share(self, x: float) -> float:
        """The share of this half's mass between the median and ``x`` (``x`` on its side)."""
        width = abs(self.bound - self.median)
        if width == 0:
            return 1.0
        distance = min(abs(x - self.median), width)
        if math.isinf(self.scale):
            return distance / width
        return (_phi(distance / self.scale) - 0.5) / (_phi(width / self.scale) - 0.5)


def _half(median: float, point: float, z: float, bound: float) -> _Half:
    """The half from ``median`` towards ``bound`` that puts ``point`` at the normal's ``z``
    standard deviations (its quartile, or the youngest or oldest patient), found by bisection
    on the scale; the uniform density when even it leaves ``point`` too close to the median."""
    target = 2 * _phi(z) - 1  # the share of the half between the median and the point
    distance = abs(point - median)
    width = abs(bound - median)
    if width == 0 or distance == 0:
        return _Half(median, bound, _NARROWEST)
    if distance / width >= target:  # even the flattest shape, uniform, leaves the point too close
        return _Half(median, bound, math.inf)
    # the scale solves phi(d / s) - 1/2 = target * (phi(w / s) - 1/2); from the untruncated
    # half-normal's (the answer when the bound is far) a fixed-point iteration converges in a
    # few steps unless the bound is close, when the bisection below takes over
    untruncated = scale = distance / z
    for _ in range(50):
        inner = 0.5 + target * (_phi(width / scale) - 0.5)
        following = distance / _STANDARD.inv_cdf(inner)
        if abs(following - scale) <= 1e-12 * scale:
            return _Half(median, bound, following)
        scale = following
    low, high = math.log(untruncated), math.log(1e6)
    for _ in range(_STEPS):  # the share at ``point`` falls as the scale grows
        mid = (low + high) / 2
        if _Half(median, bound, math.exp(mid)).share(point) > target:
            low = mid
        else:
            high = mid
    return _Half(median, bound, math.exp((low + high) / 2))


def summary_cdf(age: AgeSummary) -> Callable[[float], float]:
    """P(age < x) of one summary's distribution over [0, ``OLDEST``], x in years."""
    k = IN_YEARS[age.unit]
    if age.mean is not None and age.sd is not None:
        mean, sd = age.mean * k, age.sd * k
        below, above = _phi(-mean / sd), _phi((OLDEST - mean) / sd)
        return lambda x: (_phi((min(max(x, 0.0), OLDEST) - mean) / sd) - below) / (above - below)
    assert age.median is not None  # the schema requires a median otherwise
    m = min(age.median * k, OLDEST)
    pair, z = (age.iqr, _Z_QUARTILE) if age.iqr is not None else (age.range, _Z_RANGE)
    assert pair is not None
    lower = _half(m, pair[0] * k, z, 0.0)
    upper = _half(m, pair[1] * k, z, OLDEST)

    def cdf(x: float) -> float:
        if x < m:
            return 0.5 - 0.5 * lower.share(max(x, 0.0))
        return 0.5 + 0.5 * upper.share(min(x, OLDEST))

    return cdf


def _summary_masses(age: AgeSummary, edges: Sequence[float]) -> list[float]:
    """One summary's share in each band."""
    cdf = summary_cdf(age)
    cuts = [0.0, *(cdf(e) for e in edges[1:]), 1.0]
    return [max(high - low, 0.0) for low, high in itertools.pairwise(cuts)]


def band_masses(age: AgeDistribution, edges: Sequence[float]) -> list[float]:
    """The share of the distribution in each band ``[edges[i], edges[i + 1])``, the last band
    reaching ``OLDEST`` (``edges[-1]`` is its lower limit): ``len(edges)`` shares summing to 1, none floored.
    A mixture's shares are its parts' shares, weighted."""
    total = [0.0] * len(edges)
    for part in age.parts:
        for i, m in enumerate(_summary_masses(part, edges)):
            total[i] += part.weight * m
    return total


def age_summary(age: AgeDistribution, lang: str) -> str:
    """The summary in the reader's words ("median 70 years (IQR 61–76), 253 patients"; French
    terms and decimal commas in French)."""

    def one(part: AgeSummary) -> str:
        unit = message(f"age_unit_{part.unit}", lang)
        if part.mean is not None and part.sd is not None:
            return message("age_mean_sd", lang, mean=_number(part.mean, lang), sd=_number(part.sd, lang), unit=unit)
        assert part.median is not None
        median = _number(part.median, lang)
        if part.iqr is not None:
            q1, q3 = (_number(v, lang) for v in part.iqr)
            return message("age_median_iqr", lang, median=median, q1=q1, q3=q3, unit=unit)
        assert part.range is not None
        low, high = (_number(v, lang) for v in part.range)
        return message("age_median_range", lang, median=median, low=low, high=high, unit=unit)

    if age.mixture:
        text = message("list_separator", lang).join(
            message("age_mixture_part", lang, share=percent(part.weight, lang), summary=one(part))
            for part in age.mixture
        )
    else:
        text = one(age)
    return message("age_patients", lang, summary=text, n=_number(age.n, lang, 0)) if age.n else text


def _number(x: float, lang: str, digits: int = 2) -> str:
    """A summary's number as the reader writes it (decimal comma in French). English, which
    every knowledge base load writes into the frequencies' explanations, is formatted
    directly rather than through Babel (a tenth of the load's time otherwise)."""
    if lang == "fr":
        return decimal(x, lang, digits)
    text = f"{x:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True, slots=True)
class AgeBand:
    """One exclusive age band: its feature and ``[low, high)`` in years (``high`` infinite
    for the oldest band)."""

    feature: str
    low: float
    high: float


def age_band_errors(bands: Sequence[AgeBand], coarse_limits: Sequence[float]) -> list[str]:
    """What is wrong with the bands of features.yaml (empty when nothing): they must be
    ``patient:age_*`` features, start at 0, follow one another without gap or overlap, end
    open, and have the case format's coarse limits (1, 18, 60 years) among their edges."""
    if not bands:
        return ["no age band"]
    errors = [
        f"{b.feature!r}: an age band is a {AGE_PREFIX}* feature" for b in bands if not b.feature.startswith(AGE_PREFIX)
    ]
    if bands[0].low != 0:
        errors.append(f"the first band starts at {bands[0].low:g}, not 0")
    for a, b in itertools.pairwise(bands):
        if a.high != b.low:
            errors.append(f"{a.feature} ends at {a.high:g} but {b.feature} starts at {b.low:g}")
    if not math.isinf(bands[-1].high):
        errors.append(f"the last band, {bands[-1].feature}, must be open (upper limit null)")
    if any(b.high <= b.low for b in bands):
        errors.append("a band's upper limit must be above its lower limit")
    edges = {b.low for b in bands}
    missing = [f"{x:g}" for x in coarse_limits if x not in edges]
    if missing:
        errors.append(f"the coarse age limits {', '.join(missing)} must be band edges")
    return errors


def _by_definition(age: AgeDistribution | None) -> bool:
    return age is not None and age.by_definition


def fill_age_bands(
    freq: np.ndarray,
    baseline: np.ndarray,
    fpos: Mapping[str, int],
    sources: dict[tuple[int, int], FrequencySource],
    *,
    bands: Sequence[AgeBand],
    ages: Sequence[AgeDistribution | None],
    prior: np.ndarray,
    coarse_limits: tuple[float, float, float],
    floor: float,
    atypical: float,
    hard_floor: float = 0.0,
) -> None:
    """Fill the age-band columns of ``freq`` and ``baseline`` (and the sources' texts).

    A diagnosis with an age distribution (``ages[d]``) gets its mass in each band, a share
    ``atypical`` of it spread as the reference population's (the typical patient is what a
    series summarises; case reports and referrals also bring atypical ages), each band at
    least ``hard_floor`` (the knowledge's least frequency), normalised to 1: the atypical share
    is the floor, on the likelihood ratio and alike in every band (module docstring), so
    ``floor`` (the presentation floor, on the mass) is not applied (an age ``by_definition``, a
    newborn form's: no atypical share, each band at least ``hard_floor``); its infant / child /
    60+ columns become the sums of its bands. A diagnosis without one keeps the coarse shares
    (under 1, 1-17, 18-59, 60+, each at least ``floor``) its infant / child / 60+ frequencies
    give (:func:`_coarse_table`), each
    shared among the finer bands inside it as the reference population shares it. The
    reference population ("other causes", the baseline) is the infant / child / 60+
    baselines of features.yaml, each coarse band shared among its finer bands in the
    proportions of the diagnoses' age distributions weighted by their priors. So the
    likelihood ratio of a diagnosis without a distribution is the same for every band of one
    coarse band, and equal to the one the coarse bands gave.
    """
    infant, child, older = (fpos[f] for f in COARSE_AGE_FEATURES)
    cols = [fpos[b.feature] for b in bands]
    coarse_edges = (0.0, *coarse_limits)
    coarse_of = np.array([sum(b.low >= e for e in coarse_edges) - 1 for b in bands])  # band -> coarse band
    base_c = np.array(
        [baseline[infant], baseline[child] - baseline[infant], 1 - baseline[child] - baseline[older], baseline[older]]
    )
    table_c = _coarse_table(freq, base_c, (infant, child, older), sources, floor)
    edges = [b.low for b in bands]
    sourced = [d for d, a in enumerate(ages) if a is not None]
    fine = np.zeros((freq.shape[0], len(bands)))
    for d in sourced:
        age = ages[d]
        assert age is not None
        fine[d] = band_masses(age, edges)
    # without any distribution to share by: the years in each band, the open one taken as 25
    years = np.array([min(b.high, b.low + 25.0) - b.low for b in bands])
    weight = prior[sourced] @ fine[sourced] if sourced else years
    share = np.array([weight[j] / weight[coarse_of == coarse_of[j]].sum() for j in range(len(bands))])
    baseline[cols] = base_c[coarse_of] * share
    for d in sourced:  # the atypical share follows the reference population: the bands' floor
        age = ages[d]
        if _by_definition(age):
            masses = np.maximum(fine[d], hard_floor)
        else:
            masses = np.maximum((1 - atypical) * fine[d] + atypical * baseline[cols], hard_floor)
        if age is not None and age.defined_from is not None:  # below the age that defines it: the least frequency
            below = np.array([b.high <= age.defined_from for b in bands])
            masses[below] = hard_floor
        fine[d] = masses / masses.sum()
    for d in range(freq.shape[0]):
        if ages[d] is None:
            fine[d] = table_c[d, coarse_of] * share
    freq[:, cols] = fine
    for d in sourced:
        age = ages[d]
        assert age is not None
        refs = tuple(age.references)
        how = (
            f"derived from the age at presentation, {age_summary(age, 'en')} ({age.basis}: {age.estimate}): "
            + (
                f"the share of that distribution in each age band, an age that defines it (no patient taken at the "
                f"ages of other causes), each band at least {hard_floor:g} (constants.yaml frequency_floor), normalised to 1"
                if age.by_definition
                else f"the share of that distribution in each age band, {atypical:.0%} of patients taken at the ages of "
                f"other causes (constants.yaml age_atypical_share, the bands' floor), each band at least {hard_floor:g} "
                "(constants.yaml frequency_floor), normalised to 1"
            )
            + (
                f"; defined from age {age.defined_from:g}: the bands below it at {hard_floor:g}"
                if age.defined_from is not None
                else ""
            )
        )
        for j, c in enumerate(cols):
            sources[(d, c)] = FrequencySource(
                frequency=float(fine[d, j]), origin="diagnosis", references=refs, estimate=how, note=None
            )
        coarse = np.bincount(coarse_of, weights=fine[d], minlength=4)
        for c, value in ((infant, coarse[0]), (child, coarse[0] + coarse[1]), (older, coarse[3])):
            freq[d, c] = value
            sources[(d, c)] = FrequencySource(
                frequency=float(value), origin="diagnosis", references=refs, estimate=how, note=None
            )
    stated_how = (
        "derived: exclusive age bands from the age frequencies this diagnosis states (under 1, 1-17, 18-59, 60+; "
        f"the unstated rest shared in the proportions of the other causes, each at least {floor:g}, normalised "
        "to 1), each shared among the finer bands inside it as the other causes share it"
    )
    for d in range(freq.shape[0]):
        stated = [(d, c) in sources for c in (infant, child, older)]
        if ages[d] is not None or not any(stated):
            continue
        refs = tuple(r for c in (infant, child, older) if (d, c) in sources for r in sources[(d, c)].references)
        for j, c in enumerate(cols):
            sources[(d, c)] = FrequencySource(
                frequency=float(fine[d, j]), origin="diagnosis", references=refs, estimate=stated_how, note=None
            )


def _coarse_table(
    freq: np.ndarray,
    base: np.ndarray,
    coarse: tuple[int, int, int],
    sources: Mapping[tuple[int, int], FrequencySource],
    floor: float,
) -> np.ndarray:
    """Each diagnosis' shares of the four coarse bands (under 1, 1-17, 18-59, 60+) from its
    infant / child / 60+ frequencies (``coarse``: their columns). What the diagnosis does not
    state (e.g. a 60+ share for a childhood disease that only states its under-18 share) is
    shared in the proportions of the baseline bands ``base``; each band is at least ``floor``
    and the four sum to 1. A diagnosis that states none keeps the baseline's shares."""
    inf, child, old = coarse

    def split(mass: float, idx: list[int]) -> list[float]:
        """Share ``mass`` among the bands ``idx`` in the proportions of the baseline bands."""
        weights = base[idx]
        return list(mass * weights / weights.sum())

    table = np.tile(base, (freq.shape[0], 1))
    for d in range(freq.shape[0]):
        has_i, has_c, has_o = ((d, c) in sources for c in (inf, child, old))
        p_c = freq[d, child] if has_c else None
        p_o = freq[d, old] if has_o else None
        if p_c is None and p_o is None:
            if has_i:  # only the infant share is stated
                table[d] = [freq[d, inf], *split(1 - freq[d, inf], [1, 2, 3])]
            continue
        if p_c is None:  # 60+ stated: the rest among the younger bands
            assert p_o is not None
            under = split(1 - p_o, [0, 1, 2])
            if has_i:
                under = [min(freq[d, inf], 1 - p_o), *split(max(1 - p_o - freq[d, inf], 0), [1, 2])]
            table[d] = [*under, p_o]
            continue
        p_i = freq[d, inf] if has_i else split(p_c, [0, 1])[0]
        if p_o is None:  # under-18 stated: the rest among adults and 60+
            table[d] = [p_i, p_c - p_i, *split(1 - p_c, [2, 3])]
        else:
            table[d] = [p_i, p_c - p_i, 1 - p_c - p_o, p_o]
    table = np.maximum(table, floor)
    shares: np.ndarray = table / table.sum(axis=1, keepdims=True)
    return shares
