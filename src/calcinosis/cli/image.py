"""``calcinosis image quantify STUDY``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from calcinosis.cli._common import handles_errors

__all__ = ["app"]

app = typer.Typer(
    help="Measure calcified deposits on CT and radiographs (research and follow-up; check every deposit).",
    no_args_is_help=True,
)


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
    out: Path | None = typer.Option(None, "--out", help="Folder for result.json and the overlay PNGs."),
) -> None:
    """Find and measure every calcified deposit; print the JSON result; write overlays with --out."""
    from calcinosis.imaging.ct import measure_ct
    from calcinosis.imaging.io import read_study
    from calcinosis.imaging.radiograph import measure_radiograph

    volume = read_study(study, pixel_spacing_mm=pixel_spacing)
    if volume.modality == "radiograph":
        result, masks = measure_radiograph(volume)
    else:
        result, masks = measure_ct(volume, threshold=threshold)
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
    before: Path = typer.Argument(..., help="Earlier study (DICOM folder or NIfTI)."),
    after: Path = typer.Argument(..., help="Later study of the same patient."),
    threshold: float = typer.Option(130.0, "--threshold", help="Calcium threshold in HU."),
    out: Path | None = typer.Option(None, "--out", help="Folder for comparison.json."),
) -> None:
    """Match deposits between two studies; per-deposit and total change, new and vanished deposits."""
    import numpy as np

    from calcinosis.imaging.compare import body_centroid_mm, compare_results
    from calcinosis.imaging.ct import quantify_ct
    from calcinosis.imaging.io import read_study

    v1, v2 = read_study(before), read_study(after)
    shift = tuple(float(x) for x in np.subtract(body_centroid_mm(v2), body_centroid_mm(v1)))
    result = compare_results(quantify_ct(v1, threshold=threshold), quantify_ct(v2, threshold=threshold), shift_mm=shift)  # type: ignore[arg-type]
    text = json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "comparison.json").write_text(text, encoding="utf-8")
    typer.echo(text)


@app.command("batch")
@handles_errors
def batch(
    folder: Path = typer.Argument(..., help="Folder of studies: DICOM series sub-folders and/or NIfTI files."),
    out: Path = typer.Option(..., "--out", help="Folder for one JSON per study and summary.csv."),
    threshold: float = typer.Option(130.0, "--threshold", help="Calcium threshold in HU."),
) -> None:
    """Quantify every study of a folder, with a progress bar; a study that fails is reported and skipped."""
    import csv

    from rich.progress import Progress

    from calcinosis.errors import ImagingError
    from calcinosis.imaging.ct import quantify_ct
    from calcinosis.imaging.io import read_study

    if not folder.is_dir():
        raise ImagingError(f"{folder}: not a folder of studies", path=folder)
    studies = sorted(p for p in folder.iterdir() if p.is_dir() or p.name.lower().endswith((".nii", ".nii.gz")))
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    with Progress(transient=True) as progress:
        task = progress.add_task("quantifying", total=len(studies))
        for study in studies:
            try:
                result = quantify_ct(read_study(study), threshold=threshold)
                name = study.name.removesuffix(".gz").removesuffix(".nii")
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
