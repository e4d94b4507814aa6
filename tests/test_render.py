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
    # an option starting the next line is not a list item; a tab or a justified line's spaces
    # are one space; a table row keeps its alignment
    assert as_written("turned on with the\n--stacks=yes option.") == \
        "turned on with the --stacks=yes option."
    assert as_written("If max-procs\t is 0, xargs  will run  as many") == \
        "If max-procs is 0, xargs will run as many"
    assert as_written("| Level    | Numeric value") == "| Level    | Numeric value"
    assert as_written("status:\n\n\t      0      if it succeeds") == "status:\n\n0 if it succeeds"


def test_words_hyphenated_across_lines_are_whole_in_answers_and_search(tmp_path):
    """A man page hyphenates at line ends with U+2010 ("prob‐\n       lem"): the answer shows
    "problem", and the word is found by its whole spelling; a compound keeps its hyphen."""
    from assistant import Assistant
    from assistant.text.display import as_written
    from index.textproc import terms

    assert as_written("fix the  prob\u2010\n       lem now") == "fix the problem now"
    assert as_written("a well-\n   known name") == "a well-known name"
    assert terms("the prob\u2010\n   lem") == terms("the problem")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "tool.1.txt").write_text(
        "DESCRIPTION\n       The tool reports every configuration prob\u2010\n"
        "       lem it finds, and the tool exits when it finds none at all.\n")
    qa = Assistant.open(tmp_path / "ix")
    qa.ingest([docs])
    answer = qa.ask("Which configuration problem does the tool report?")
    assert "configuration prob\u2010\n" in answer.citations[0].text  # exact
    assert "configuration problem it finds" in answer.text
