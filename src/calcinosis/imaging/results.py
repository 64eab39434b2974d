"""Imaging measurement results (serialised unchanged to JSON, later to the registry and DICOM SEG)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Deposit", "HandRegion", "HandResult", "ImagingResult"]

# the English text of ``disclaimer`` in imaging/messages.yaml (a measurement says it in the caller's language)
DISCLAIMER = (
    "Measurements for research and follow-up, made by an automatic method: a clinician must check "
    "every deposit on the overlays before using them."
)


class Deposit(BaseModel):
    """One calcified deposit."""

    model_config = ConfigDict(allow_inf_nan=False)  # a result never holds NaN or infinity

    id: int
    voxels: int
    volume_mm3: float = Field(description="CT: volume; radiograph: area in mm²")
    largest_dimension_mm: float
    mean_hu: float
    max_hu: float
    agatston_like: float = Field(description="sum over slices of area (mm²) x Agatston density weight (1-4), per 3 mm")
    mass_score: float = Field(description="HU-weighted volume, HU·cm³ (not mg: needs a calibration phantom)")
    centroid_mm: tuple[float, float, float]
    bbox: tuple[int, int, int, int, int, int] = Field(description="z0, z1, y0, y1, x0, x1 (voxels, end exclusive)")
    elongation: float = Field(description="length / width from principal axes")
    flatness: float = Field(description="width / thickness from principal axes")
    pattern: str = Field(description="case-format pattern: punctate, nodular, linear, sheet, rice_grain")
    touches_bone: bool
    region: str | None = Field(default=None, description="hand radiograph: the region holding the centroid")
    density_ratio: float | None = Field(
        default=None, description="hand radiograph: brightness above soft tissue / that of the nearest cortex"
    )


class HandRegion(BaseModel):
    """One region of a PA hand radiograph and the deposits in it (pixels counted where they lie).

    .. versionadded:: 0.7.0
    """

    model_config = ConfigDict(allow_inf_nan=False)

    region: str = Field(description="e.g. index_distal, thumb, palm, wrist")
    site: str = Field(description="case-format site: fingertips, hand or wrist")
    region_mm2: float = Field(description="area of the region (pixels nearest its bone, within reach)")
    deposit_mm2: float
    coverage_percent: float = Field(description="deposit area / region area x 100")
    deposits: list[int] = Field(description="ids of the deposits whose centroid lies in the region")
    density_ratio: float | None = Field(description="area-weighted mean of the deposits' density ratios")
    density_grade: int | None = Field(description="calcinosis's grade 1-3 of density_ratio (not the SCTC grade)")


class HandResult(BaseModel):
    """Deposits of a PA hand radiograph by region: the components of a regional score, no score.

    .. versionadded:: 0.7.0
    """

    model_config = ConfigDict(allow_inf_nan=False)

    layout: str
    regions: list[HandRegion]
    outside_mm2: float = Field(description="deposit area beyond the reach of every region")
    outside_deposits: list[int]
    total_deposit_mm2: float
    score: float | None = Field(default=None, description="SCTC score: None, its rubric could not be verified")
    score_note: str
    references: list[str]


class ImagingResult(BaseModel):
    """All deposits of a study, their totals, and how they map onto the case format."""

    model_config = ConfigDict(allow_inf_nan=False)

    source: str
    modality: str
    shape: tuple[int, int, int]
    spacing_mm: tuple[float, float, float]
    threshold_hu: float
    deposits: list[Deposit]
    total_volume_mm3: float
    total_agatston_like: float
    bone_components: int
    patterns: list[str]
    distribution: str | None
    assumptions: list[str]
    timings_s: dict[str, float] = {}
    hand: HandResult | None = None
    disclaimer: str = DISCLAIMER

    def case_imaging(self) -> dict[str, object]:
        """The imaging entry of case format v1 that this measurement supports."""
        entry: dict[str, object] = {"modality": self.modality, "patterns": self.patterns}
        if self.hand is not None:
            sites = {r.site for r in self.hand.regions if r.deposits}
            if "fingertips" in sites:
                sites.add("hand")  # the fingertips are part of the hand, as a clinician lists them
            if sites:
                entry["sites"] = [s for s in ("fingertips", "hand", "wrist") if s in sites]
        if self.distribution:
            entry["distribution"] = self.distribution
        if self.deposits:
            entry["size_cm"] = round(max(d.largest_dimension_mm for d in self.deposits) / 10, 2)
        return entry
