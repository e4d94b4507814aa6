"""The UI's HTML pieces, rendered without a browser (the browser tests are in test_ui.py)."""


def test_an_ingest_summary_is_coloured_by_what_happened():
    from assistant.faces.render import report_html
    from index import IngestReport

    assert "cq-ok" in report_html(IngestReport(added=["a.txt"]))
    assert report_html(IngestReport(errors=[("b.pdf", "not a PDF")])).startswith("<p class='cq-bad'>")
    mixed = report_html(IngestReport(added=["a.txt"], errors=[("b.pdf", "not a PDF")]))
    assert mixed.startswith("<p class='cq-warn'>") and "b.pdf" in mixed
