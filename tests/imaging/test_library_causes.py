"""A reader library's failure (nibabel, Pillow, gzip, zipfile) is said in the project's own words,
in English and in French: its English message ('Cannot work out file type of ...') reached the
French imaging page and the API as it was. The library's words go to the log, marked as its."""

from __future__ import annotations

import gzip
import io
import logging
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from calcinosis import KnowledgeBase
from calcinosis.errors import ImagingError
from calcinosis.imaging.io import read_study
from calcinosis.web.app import create_app
from calcinosis.web.settings import Settings

LIBRARY_WORDS = ("Cannot work out", "not a gzip", "Truncated", "File is not a zip", "Not a gzipped")

BROKEN = {
    "a.nii": b"garbage" * 100,
    "b.nii.gz": b"garbage" * 100,
    "c.nii.gz": gzip.compress(bytes(range(256)) * 2),
    "d.png": b"\x89PNG\r\n\x1a\n" + b"x" * 100,
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_library_failure_is_said_in_the_projects_words(
    tmp_path: Path, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / name).write_bytes(BROKEN[name])
    with caplog.at_level(logging.DEBUG, logger="calcinosis.imaging"), pytest.raises(ImagingError) as info:
        read_study(tmp_path / name, pixel_spacing_mm=0.2)
    english, french = info.value.text("en"), info.value.text("fr")
    for said in (english, french):
        assert not any(words.lower() in said.lower() for words in LIBRARY_WORDS), said
    assert any(
        part in french for part in ("son contenu n'est pas du type", "s'arrête avant la fin", "données compressées")
    ), french
    assert "library said" in caplog.text  # the library's own words, in the log only, marked as its


@pytest.fixture(scope="module")
def client(kb: KnowledgeBase, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    database = f"sqlite:///{tmp_path_factory.mktemp('r') / 'r.sqlite3'}"
    return TestClient(create_app(Settings(database_url=database), kb=kb), raise_server_exceptions=False)


def test_the_french_imaging_page_and_api_say_a_library_failure_in_french(client: TestClient) -> None:
    study = ("scan.nii", BROKEN["a.nii"], "application/octet-stream")
    page = client.post("/imaging?lang=fr", files={"study": study})
    assert page.status_code == 422
    assert "son contenu n&#39;est pas du type que son nom annonce" in page.text
    assert "Cannot work out" not in page.text and "/tmp" not in page.text
    api = client.post("/api/v1/image/quantify?lang=fr", files={"study": study})
    assert api.status_code == 422 and "son contenu n'est pas du type" in api.json()["detail"]
    assert "Cannot work out" not in api.text
    zipped = client.post("/imaging?lang=fr", files={"study": ("series.zip", b"not a zip", "application/zip")})
    assert zipped.status_code == 422 and "File is not a zip" not in zipped.text
    assert "l&#39;archive zip envoyée ne peut pas être ouverte" in zipped.text


def test_a_zip_that_is_fine_is_still_read(client: TestClient) -> None:
    """The mapping touches only failures: a zip of one unreadable slice still says the slice."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("1.dcm", b"x" * 300)
    page = client.post("/imaging?lang=en", files={"study": ("s.zip", buffer.getvalue(), "application/zip")})
    assert page.status_code == 422 and "not a DICOM file" in page.text
