"""``calcinosis image quantify | compare | batch``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from calcinosis.cli._common import handles_errors

if TYPE_CHECKING:
    from calcinosis.imaging.ct import DepositMask
    from calcinosis.imaging.results import ImagingResult
    from calcinosis.imaging.volume import Volume

__all__ = ["app"]

app = typer.Typer(
    help="Measure calcified deposits on CT and radiographs (research and follow-up; check every deposit).",
    no_args_is_help=True,
)


def _measure(
    study: Path, *, threshold: float, pixel_spacing: float | None = None, bone_mask: Path | None = None
) -> tuple[Volume, ImagingResult, list[DepositMask]]:
    """Read a study and measure it with the method of its modality."""
    from calcinosis.errors import ImagingError
    from calcinosis.imaging.ct import measure_ct
    from calcinosis.imaging.io import read_study
    from calcinosis.imaging.radiograph import measure_radiograph

    volume = read_study(study, pixel_spacing_mm=pixel_spacing)
    if volume.modality == "radiograph":
        return (volume, *measure_radiograph(volume))
    mask = None
    if bone_mask is not None:
        mask = read_study(bone_mask).array > 0
        if mask.shape != volume.array.shape:
            raise ImagingError(
                f"{bone_mask}: bone mask shape {mask.shape} differs from the study's {volume.array.shape}",
                path=bone_mask,
            )
    return (volume, *measure_ct(volume, threshold=threshold, bone_mask=mask))


@app.command("quantify")
@handles_errors
def quantify(
    study: Path = typer.Argument(
        ...,
        help="DICOM series folder, NIfTI file, DICOM CT file, or a radiograph (DICOM, or PNG with --pixel-spacing).",
    ),
    threshold: float = typer.Option(130.0, "--threshold", help="Calcium threshold in HU (CT)."),
    pixel_spacing: float | None = typer.Option(
        None, "--pixel-spacing", help="Pixel spacing at the patient in mm (PNG)."
    ),
    bone_mask: Path | None = typer.Option(
        None, "--bone-mask", help="Optional skeleton mask (NIfTI or DICOM, same grid): components inside it are bone."
    ),
    out: Path | None = typer.Option(None, "--out", help="Folder for result.json and the overlay PNGs."),
) -> None:
    """Find and measure every calcified deposit; print the JSON result; write overlays with --out."""
    volume, result, masks = _measure(study, threshold=threshold, pixel_spacing=pixel_spacing, bone_mask=bone_mask)
    payload = result.model_dump(mode="json")
    payload["case_imaging"] = result.case_imaging()
    text = json.dumps(payload, ensure_ascii=False, indent=2)
    if out is not None:
        from calcinosis.imaging.overlay import write_overlays

        out.mkdir(parents=True, exist_ok=True)
        (out / "result.json").write_text(text, encoding="utf-8")
        for path in write_overlays(volume, result, masks, out):
            typer.echo(f"overlay: {path}", err=True)
    typer.echo(text)


@app.command("compare")
@handles_errors
def compare(
    before: Path = typer.Argument(..., help="Earlier study (DICOM folder, NIfTI, or radiograph)."),
    after: Path = typer.Argument(..., help="Later study of the same patient, same kind and view."),
    threshold: float = typer.Option(130.0, "--threshold", help="Calcium threshold in HU (CT)."),
    pixel_spacing: float | None = typer.Option(
        None, "--pixel-spacing", help="Pixel spacing at the patient in mm (PNG)."
    ),
    out: Path | None = typer.Option(None, "--out", help="Folder for comparison.json."),
) -> None:
    """Match deposits between two studies; per-deposit and total change, new and vanished deposits."""
    from calcinosis.errors import ImagingError
    from calcinosis.imaging.compare import body_centroid_mm, compare_results

    v1, r1, _ = _measure(before, threshold=threshold, pixel_spacing=pixel_spacing)
    v2, r2, _ = _measure(after, threshold=threshold, pixel_spacing=pixel_spacing)
    if v1.modality != v2.modality:
        raise ImagingError(f"{after}: a {v2.modality} cannot be compared with a {v1.modality} ({before})", path=after)
    c1, c2 = body_centroid_mm(v1), body_centroid_mm(v2)
    shift = (c2[0] - c1[0], c2[1] - c1[1], c2[2] - c1[2])
    result = compare_results(r1, r2, shift_mm=shift)
    text = json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "comparison.json").write_text(text, encoding="utf-8")
    typer.echo(text)


@app.command("batch")
@handles_errors
def batch(
    folder: Path = typer.Argument(
        ..., help="Folder of studies: DICOM series sub-folders, NIfTI files, DICOM radiographs."
    ),
    out: Path = typer.Option(..., "--out", help="Folder for one JSON per study and summary.csv."),
    threshold: float = typer.Option(130.0, "--threshold", help="Calcium threshold in HU (CT)."),
) -> None:
    """Quantify every study of a folder, with a progress bar; a study that fails is reported and skipped."""
    import csv

    from rich.progress import Progress

    from calcinosis.errors import ImagingError

    if not folder.is_dir():
        raise ImagingError(f"{folder}: not a folder of studies", path=folder)
    studies = sorted(p for p in folder.iterdir() if p.is_dir() or p.name.lower().endswith((".nii", ".nii.gz", ".dcm")))
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    with Progress(transient=True) as progress:
        task = progress.add_task("quantifying", total=len(studies))
        for study in studies:
            try:
                _, result, _ = _measure(study, threshold=threshold)
                name = study.name.removesuffix(".gz").removesuffix(".nii").removesuffix(".dcm")
                (out / f"{name}.json").write_text(result.model_dump_json(indent=2), encoding="utf-8")
                rows.append(
                    {
                        "study": study.name,
                        "status": "ok",
                        "deposits": len(result.deposits),
                        "total_volume_mm3": result.total_volume_mm3,
                        "error": "",
                    }
                )
            except ImagingError as exc:
                rows.append(
                    {"study": study.name, "status": "error", "deposits": "", "total_volume_mm3": "", "error": str(exc)}
                )
            progress.advance(task)
    with (out / "summary.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["study", "status", "deposits", "total_volume_mm3", "error"])
        writer.writeheader()
        writer.writerows(rows)
    failed = sum(r["status"] == "error" for r in rows)
    typer.echo(f"{len(rows) - failed} studies measured, {failed} failed: {out / 'summary.csv'}")
