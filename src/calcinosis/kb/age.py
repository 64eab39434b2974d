"""A diagnosis' age at presentation as a distribution, and its mass in each age band.

Sources summarise the age of a series in one of three ways: a median with its interquartile
range, a mean with its standard deviation, or a median with the youngest and oldest patient.
Each becomes a distribution over age in years that matches the summary exactly where it can:

- median and quartiles: two half-normals joined at the median, each holding half the mass,
  with the scale that puts the quartile where the source puts it (sigma = distance / 0.6745).
  Skewed summaries (median 8, IQR 5-14) keep their skew; the density steps at the median,
  which integrating over bands does not notice.
- mean and standard deviation: a normal.
- median and range: the two half-normals again, the youngest and the oldest patient taken as
  two standard deviations from the median (Hozo, Djulbegovic and Hozo 2005, BMC Med Res
  Methodol 5:13, doi:10.1186/1471-2288-5-13: range/4 estimates the standard deviation of a
  series of about 15 to 70), each side on its own.

A diagnosis whose patients come in two groups (newborns and adults) gives a mixture: the
weighted sum of its summaries' distributions.

The mass below age 0 is removed and the rest renormalised. Normal tails are thin: an age far
from a diagnosis' series gets almost no mass, and the presentation floor (constants.yaml),
applied to each band by the loader, is what keeps atypical ages possible.

Pure functions of the summary: no knowledge of any diagnosis lives here.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from calcinosis.kb.model import FrequencySource

if TYPE_CHECKING:
    from calcinosis.kb.schema import AgeDistribution, AgeSummary

__all__ = ["IN_YEARS", "AgeBand", "age_band_errors", "age_cdf_parameters", "band_masses", "describe", "fill_age_bands"]

IN_YEARS = {"years": 1.0, "months": 1 / 12, "days": 1 / 365.25}
_Z_QUARTILE = 0.6744897501960817  # the standard normal's upper quartile
_Z_RANGE = 2.0  # the youngest and oldest patient as two standard deviations (Hozo 2005)
_A_DAY = 1 / 365.25  # the narrowest half of a distribution (a quartile or limit at the median)


def age_cdf_parameters(age: AgeSummary) -> tuple[float, float, float]:
    """``(centre, left_scale, right_scale)`` in years of one summary's distribution."""
    k = IN_YEARS[age.unit]
    if age.mean is not None and age.sd is not None:
        return age.mean * k, age.sd * k, age.sd * k
    assert age.median is not None  # the schema requires a median otherwise
    m = age.median * k
    if age.iqr is not None:
        q1, q3 = (v * k for v in age.iqr)
        return m, max(m - q1, _A_DAY) / _Z_QUARTILE, max(q3 - m, _A_DAY) / _Z_QUARTILE
    assert age.range is not None
    low, high = (v * k for v in age.range)
    # a median at the youngest (or oldest) patient: that side is as narrow as a day
    return m, max(m - low, _A_DAY) / _Z_RANGE, max(high - m, _A_DAY) / _Z_RANGE


def _cdf(x: float, centre: float, left: float, right: float) -> float:
    """P(age <= x) before the mass below 0 is removed."""
    scale = left if x < centre else right
    return 0.5 * math.erfc(-(x - centre) / (scale * math.sqrt(2)))


def _summary_masses(age: AgeSummary, edges: Sequence[float]) -> list[float]:
    """One summary's share in each band, the mass below 0 removed."""
    centre, left, right = age_cdf_parameters(age)
    below_zero = _cdf(0.0, centre, left, right)
    kept = 1.0 - below_zero
    cuts = [_cdf(e, centre, left, right) for e in edges[1:]]
    lows = [below_zero, *cuts]
    highs = [*cuts, 1.0]
    return [max(h - lo, 0.0) / kept for lo, h in zip(lows, highs, strict=True)]


def band_masses(age: AgeDistribution, edges: Sequence[float]) -> list[float]:
    """The share of the distribution in each band ``[edges[i], edges[i + 1])``, the last band
    open (``edges[-1]`` is its lower limit): ``len(edges)`` shares summing to 1, none floored.
    A mixture's shares are its parts' shares, weighted."""
    total = [0.0] * len(edges)
    for part in age.parts:
        for i, m in enumerate(_summary_masses(part, edges)):
            total[i] += part.weight * m
    return total


def _words(age: AgeSummary) -> str:
    unit = age.unit
    if age.mean is not None:
        return f"mean age {age.mean:g} {unit} (SD {age.sd:g})"
    if age.iqr is not None:
        return f"median age {age.median:g} {unit} (IQR {age.iqr[0]:g}-{age.iqr[1]:g})"
    assert age.range is not None
    return f"median age {age.median:g} {unit} (range {age.range[0]:g}-{age.range[1]:g})"


def describe(age: AgeDistribution) -> str:
    """The summary in words, as the explanation of a band's frequency shows it."""
    text = "; ".join(f"{part.weight:.0%}: {_words(part)}" for part in age.mixture) if age.mixture else _words(age)
    return f"{text}, {age.n} patients" if age.n else text


@dataclass(frozen=True, slots=True)
class AgeBand:
    """One exclusive age band: its feature and ``[low, high)`` in years (``high`` infinite
    for the oldest band)."""

    feature: str
    low: float
    high: float


def age_band_errors(bands: Sequence[AgeBand], coarse_limits: Sequence[float]) -> list[str]:
    """What is wrong with the bands of features.yaml (empty when nothing): they must start at
    0, follow one another without gap or overlap, end open, and have the case format's coarse
    limits (1, 18, 60 years) among their edges."""
    if not bands:
        return ["no age band"]
    errors = []
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
) -> None:
    """Fill the age-band columns of ``freq`` and ``baseline`` (and the sources' texts).

    A diagnosis with an age distribution (``ages[d]``) gets its mass in each band, each band at
    least ``floor`` (atypical ages occur), normalised to 1; its infant / child / 60+ columns
    become the sums of its bands. A diagnosis without one keeps the coarse shares (under 1,
    1-17, 18-59, 60+) its infant / child / 60+ frequencies give (:func:`_coarse_table`), each
    shared among the finer bands inside it as the reference population shares it. The
    reference population ("other causes", the baseline) is the infant / child / 60+
    baselines of features.yaml, each coarse band shared among its finer bands in the
    proportions of the diagnoses' age distributions weighted by their priors. So the
    likelihood ratio of a diagnosis without a distribution is the same for every band of one
    coarse band, and equal to the one the coarse bands gave.
    """
    infant, child, older = (fpos["patient:infant"], fpos["patient:child"], fpos["patient:older"])
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
        masses = np.maximum(np.array(band_masses(age, edges)), floor)
        fine[d] = masses / masses.sum()
    # without any distribution to share by: the years in each band, the open one taken as 25
    years = np.array([min(b.high, b.low + 25.0) - b.low for b in bands])
    weight = prior[sourced] @ fine[sourced] if sourced else years
    share = np.array([weight[j] / weight[coarse_of == coarse_of[j]].sum() for j in range(len(bands))])
    baseline[cols] = base_c[coarse_of] * share
    for d in range(freq.shape[0]):
        if ages[d] is None:
            fine[d] = table_c[d, coarse_of] * share
    freq[:, cols] = fine
    for d in sourced:
        age = ages[d]
        assert age is not None
        refs = tuple(age.references)
        how = (
            f"derived from the age at presentation, {describe(age)} ({age.basis}: {age.estimate}): "
            f"the share of that distribution in each age band, each band at least {floor:g}, normalised to 1"
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
