"""The UI's HTML pieces, rendered without a browser (the browser tests are in test_ui.py)."""


def test_an_ingest_summary_is_coloured_by_what_happened():
    from assistant.faces.render import report_html
    from index import IngestReport

    assert "cq-ok" in report_html(IngestReport(added=["a.txt"]))
    assert report_html(IngestReport(errors=[("b.pdf", "not a PDF")])).startswith("<p class='cq-bad'>")
    mixed = report_html(IngestReport(added=["a.txt"], errors=[("b.pdf", "not a PDF")]))
    assert mixed.startswith("<p class='cq-warn'>") and "b.pdf" in mixed


def test_hard_wrapped_sentences_read_as_written_in_answers_and_cards(tmp_path):
    """A sentence wrapped over lines is shown on one line (answer text, the page's card); the
    citation's text keeps the document's characters; lists keep their lines."""
    from assistant import Assistant
    from assistant.faces.render import card
    from assistant.text.display import as_written

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "shutil.txt").write_text(
        "COPYING\n\n       The copy function may be used internally in order to\n"
        "       copy the file, and it returns the destination path.\n\n"
        "Options:\n- follow links\n- keep metadata\n")
    qa = Assistant.open(tmp_path / "ix")
    qa.ingest([docs])
    answer = qa.ask("What may be used internally in order to copy the file?")
    cited = answer.citations[0]
    assert "in order to\n" in cited.text  # exact
    assert "in order to copy the file" in answer.text and "in order to\n" not in answer.text
    assert "in order to copy the file" in card(cited, 1)
    assert as_written("Options:\n- follow links\n- keep metadata") == \
        "Options:\n- follow links\n- keep metadata"
