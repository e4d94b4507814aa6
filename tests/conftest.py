"""Shared fixtures: real model, real Chroma in temp folders, the bundled sample article."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant import Assistant

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = ROOT / "examples" / "docs"
SAMPLE = SAMPLE_DIR / "mexico-border-troops.txt"


@pytest.fixture(scope="session")
def sample_qa(tmp_path_factory) -> Assistant:
    """An assistant over an index of the sample article (built once per session)."""
    folder = tmp_path_factory.mktemp("sample-index")
    qa = Assistant.open(folder / "index")
    report = qa.ingest([SAMPLE_DIR])
    assert report.added == ["mexico-border-troops.txt"]
    return qa


@pytest.fixture
def docs_dir(tmp_path) -> Path:
    """A fresh folder holding a copy of the sample article."""
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(SAMPLE, folder / SAMPLE.name)
    return folder


def as_uploads(paths) -> list[str]:
    """Copies of files where Gradio keeps uploads (the UI's upload handler takes nothing else)."""
    import uuid

    from assistant.faces.ui import upload_folder

    folder = upload_folder() / f"test-{uuid.uuid4().hex}"
    folder.mkdir(parents=True)
    return [str(shutil.copy(p, folder / Path(p).name)) for p in paths]
