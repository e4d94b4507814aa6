"""Answers on the sample article: the right sentences, exact offsets, abstention."""

import pytest

from assistant.errors import EmptyQuestionError
from tests.conftest import SAMPLE


def test_how_many_troops_cites_both_mexican_figures_not_canadas(sample_qa):
    answer = sample_qa.ask("How many troops?")
    assert not answer.abstained
    texts = [c.text for c in answer.citations]
    assert any("hundreds of soldiers" in t for t in texts)
    assert any("10,000 Mexican soldiers" in t for t in texts)
    assert not any("frontline personnel" in t for t in texts)
    highlights = [c.text[c.highlight[0]:c.highlight[1]] for c in answer.citations if c.highlight]
    assert "hundreds of soldiers" in highlights
    assert "10,000 Mexican soldiers" in highlights


def test_citation_text_is_the_document_text_at_its_offsets(sample_qa):
    document = SAMPLE.read_text(encoding="utf-8")
    for question in ["How many troops?", "How much does Canada's plan cost?",
                     "Why does Mexico rely on the military to police the border?"]:
        answer = sample_qa.ask(question)
        assert answer.citations
        for c in answer.citations:
            assert c.source == "mexico-border-troops.txt"
            assert document[c.start:c.end] == c.text


@pytest.mark.parametrize("question, expected", [
    ("How much does Canada's plan cost?", "$1.3 billion"),
    ("Who is the Mexico-based security analyst?", "Jonathan Maza"),
    ("When did Mexico send soldiers to the border?", "Tuesday"),
    ("Which border states will the troops be posted to?", "Baja California"),
    ("Why does Mexico rely on the military to police the border?", "barred from carrying guns"),
    ("What tariff rate was threatened?", "25% tariffs"),
])
def test_sample_questions(sample_qa, question, expected):
    answer = sample_qa.ask(question)
    assert expected in answer.citations[0].text
    assert f"[{answer.citations[0].id}]" in answer.text


@pytest.mark.parametrize("question", [
    "What is the population of Mexico City?",
    "What is the capital of France?",
    "How do I bake sourdough bread?",
])
def test_unanswerable_questions_abstain(sample_qa, question):
    answer = sample_qa.ask(question)
    assert answer.abstained
    assert answer.citations == []
    assert "do not answer" in answer.text


@pytest.mark.parametrize("question", ["", "   ", "\x00\x01", "?!"])
def test_empty_questions_are_refused(sample_qa, question):
    with pytest.raises(EmptyQuestionError):
        sample_qa.ask(question)


def test_overlong_question_is_refused(sample_qa):
    with pytest.raises(EmptyQuestionError, match="limit"):
        sample_qa.ask("troops " * 20000)


def test_retrieve_and_llama_index_retriever(sample_qa):
    from llama_index.core.schema import NodeWithScore

    passages = sample_qa.retrieve("troops", top_k=2)
    assert 1 <= len(passages) <= 2
    document = SAMPLE.read_text(encoding="utf-8")
    assert all(document[p.start:p.end] == p.text for p in passages)
    nodes = sample_qa.as_retriever(top_k=2).retrieve("How many troops?")
    assert nodes and all(isinstance(n, NodeWithScore) for n in nodes)
    assert nodes[0].node.metadata["source"] == "mexico-border-troops.txt"


@pytest.mark.parametrize("question, kind", [
    ("What tariff rate was threatened?", "quantity"),  # a word between "what" and "rate"
    ("What is the interest rate?", "quantity"),
    ("Which file size limit applies?", "quantity"),
    ("What kind of rate is it?", None),
    ("What is the numeric value of the error code CURLE_OK?", "quantity"),
    ("What does the share button do?", None),
    # "when" asks for a date only as the question's word
    ("When did the troops arrive?", "date"),
    ("And when was the bridge built?", "date"),
    ("Which code is returned when an easy handle is added twice?", None),
    ("What happens when the timeout is reached?", None),
])
def test_the_answer_kind_is_read_from_the_question_words(question, kind):
    from assistant.text.answer_kinds import answer_kind

    assert answer_kind(question) == kind


@pytest.mark.parametrize("sentence, phrase", [
    ("It has already claimed hundreds of thousands of lives.", "hundreds of thousands"),
    ("Mexico sent hundreds of soldiers.", "hundreds of soldiers"),
    ("Exports fell 10 percent of their value.", "10 percent"),
])
def test_an_amount_phrase_does_not_end_on_of(sentence, phrase):
    from assistant.text.answer_kinds import QUANTITY

    assert QUANTITY.search(sentence).group() == phrase


def indexed(tmp_path, texts: dict[str, str], **word_documents):
    """An Assistant over a fresh folder of these documents (``name=docx.Document()`` adds
    ``name.docx``)."""
    from assistant import Assistant

    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in texts.items():
        (docs / name).write_text(text)
    for name, document in word_documents.items():
        document.save(str(docs / f"{name}.docx"))
    qa = Assistant.open(tmp_path / "index")
    qa.ingest([docs])
    return qa


SHUTIL_PAGE = """<html><head><title>shutil</title></head><body><div class="body">
<h1>shutil: high-level file operations</h1>
<dl class="function"><dt class="sig">shutil.copytree(src, dst, symlinks=False)</dt>
<dd><p>Recursively copy an entire directory tree rooted at src to a directory named dst and
return the destination directory.</p>
<div class="versionchanged"><p>Changed in version 3.3: Copy metadata when symlinks is false.
Now returns dst.</p></div>
<div class="versionadded"><p>New in version 3.8: The dirs_exist_ok parameter.</p></div></dd></dl>
<dl class="function"><dt class="sig">shutil.move(src, dst)</dt>
<dd><p>Recursively move a file or directory to another location and return the
destination.</p>
<div class="versionchanged"><p>Changed in version 3.9: Accepts a path-like object for both
src and dst.</p></div></dd></dl>
</div></body></html>"""


def test_version_notes_are_kept_but_ranked_as_notes(tmp_path):
    """A function's description answers what it does; its "Changed in version" note answers
    only a question about versions."""
    from assistant.stages.s3_rank import EvidenceRanker
    from assistant.text.scoring import Weights
    from assistant.text.sentence_forms import NOTE, sentence_form

    assert sentence_form("Changed in version 3.8: Now returns dst.") == NOTE
    assert sentence_form("Deprecated since version 3.12: Use onexc instead.") == NOTE
    assert sentence_form("New in version 2.6.") == NOTE
    assert sentence_form("The new version 3 format is smaller.") != NOTE
    qa = indexed(tmp_path, {"shutil.html": SHUTIL_PAGE})
    answer = qa.ask("What does copytree return?")
    assert "return the destination directory" in answer.citations[0].text

    def note_score(question: str, weights: Weights) -> float:
        ranker = EvidenceRanker(qa.view, weights)
        query = qa.queries.run(question)
        ranked = ranker.rank(query, qa.retriever.search(query, 10)).ranked
        return next(s.score for s in ranked if s.text.startswith("Changed in version 3.9"))

    content = "Does move accept path-like objects?"  # the note is ranked as a note
    assert note_score(content, Weights()) == pytest.approx(
        note_score(content, Weights(note=0.0)) - Weights().note)
    version = "In which version did move start to accept path-like objects?"  # the note answers
    assert note_score(version, Weights()) == pytest.approx(note_score(version, Weights(note=0.0)))
    assert "3.9" in qa.ask(version).citations[0].text


MAN_PAGE = """FROBD(8)                  System Manager's Manual                  FROBD(8)

NAME
       frobd - the frobnication daemon

DESCRIPTION
       frobd  accepts frobnication requests from clients on the local network
       and queues them for the frobnication engine.  Clients connect to port
       873.  The administrator normally starts frobd at boot; it reads its
       settings from /etc/frobd.conf and writes a log of every request.

       Each request names a queue and a priority.  frobd serves requests of a
       higher priority first and keeps at most 64 requests in each queue.

AUTHOR
       Jane Roe <jane@example.org>

frobd 2.1                        12 March 2024                       FROBD(8)
"""


def test_a_man_page_credits_its_author_and_its_running_heads_are_not_answers(tmp_path):
    """A rendered man page: "AUTHOR" / "Jane Roe <…>" is a credit that answers "who wrote it?";
    the running head and foot are page chrome; a wrapped line starting "873." goes on its
    sentence instead of starting a numbered item."""
    from assistant.text.sentence_forms import BYLINE, HEADING, sentence_form

    assert sentence_form(MAN_PAGE.splitlines()[0]) == HEADING
    assert sentence_form(MAN_PAGE.splitlines()[-1]) == HEADING
    assert sentence_form("Jane Roe <jane@example.org>", "AUTHOR") == BYLINE
    assert sentence_form("Jane Roe <jane@example.org>", "DESCRIPTION") != BYLINE
    qa = indexed(tmp_path, {"frobd.8.txt": MAN_PAGE})
    author = qa.ask("Who is the author of frobd?")
    assert "Jane Roe" in author.citations[0].text
    assert "Jane Roe" in author.text.split("\n")[0]  # the short answer names her
    port = qa.ask("Which port do clients connect to?")
    assert "port\n       873." in port.citations[0].text  # one sentence, not "873." alone
    for answer in (author, port, qa.ask("What does frobd do?")):
        assert all("FROBD(8)" not in c.text for c in answer.citations)


SETTINGS_PAGE = """Frob configuration settings

These settings are read from frob.conf at start-up.

alpha_limit

Maximal number of alpha records kept in memory before the oldest
ones are written out to disk and dropped from the cache.

Default: 500.

beta_limit

Maximal number of characters in an input line. Longer lines are
rejected with a warning instead of being parsed.

Default: 10 000.

gamma_mode

Whether frob runs gamma checks. Defaults to true.
"""


@pytest.mark.parametrize("sentence, value", [
    ("Default: 10 000.", "10 000"),
    ("If set, the command shows it. Defaults to true.", "true"),
    ("The default is /usr/bin/xauth.", "/usr/bin/xauth"),
    ("Default: 'session'", "'session'"),
    ("The default behaviour is to ask.", None),
    ("The default setting for MAX_LINES is 2000.", "2000"),
    ("Valid levels run from 1 to 9, with 6 being the default.", "6"),
    ("Pass 512 (the default) or more.", "512"),
    ("--threshold=<m.n> [default: 1.0]", "1.0"),
    ("The cache holds 10,000 entries by default; the default is 10,000 entries.",
     "10,000 entries"),
    ("This is the default.", None),
])
def test_a_default_value_is_found_where_documentation_states_it(sentence, value):
    from assistant.text.answer_kinds import answer_kind, find_answer

    assert answer_kind("What is the default value of beta_limit?") == "default"
    assert answer_kind("What does gamma_mode default to?") == "default"
    span = find_answer("default", sentence)
    assert (sentence[span[0]:span[1]] if span else None) == value


def test_a_default_is_read_under_the_setting_it_belongs_to(tmp_path):
    """"Default: 10 000." says nothing of beta_limit by itself: it is read with its section's
    heading. The first line of a hard-wrapped paragraph ("Maximal number of characters …") is
    not a heading."""

    qa = indexed(tmp_path, {"frob-settings.txt": SETTINGS_PAGE})
    outline = qa.view.outline("frob-settings.txt")
    assert "beta_limit" in outline.headings
    assert not any(h.startswith("Maximal") for h in outline.headings)
    answer = qa.ask("What is the default value of beta_limit?")
    assert answer.citations[0].text == "Default: 10 000."
    assert answer.text.startswith("10 000")


LEVELS_PAGE = """<html><body><h1>Logging levels</h1>
<p>The numeric values of the logging levels are given in the following table.</p>
<table><thead><tr><th>Level</th><th>Numeric value</th></tr></thead><tbody>
<tr><td>CRITICAL</td><td>50</td></tr><tr><td>ERROR</td><td>40</td></tr>
<tr><td>WARNING</td><td>30</td></tr><tr><td>INFO</td><td>20</td></tr></tbody></table>
</body></html>"""

SIZES_NOTE = """# Shirt sizes

Our shirts come in the following sizes.

| Size | Chest (cm) | Price |
| --- | --- | --- |
| Small | 90 | 12 euros |
| Medium | 100 | 14 euros |
| Large | 110 | 16 euros |
"""


def test_a_table_row_is_read_under_its_header(tmp_path):
    """"WARNING | 30" answers "the numeric value of WARNING" only with its header "Level |
    Numeric value": a row is read with its table's header row (HTML, Markdown and .docx
    tables), the header row itself is context, not an answer, and a row is not a heading."""
    import docx


    fees = docx.Document()
    fees.add_paragraph("The library charges for a few of its services.")
    table = fees.add_table(rows=4, cols=2)
    for r, cells in enumerate([("Service", "Charge in euros"), ("Reader's card", "5"),
                               ("Renewal", "8"), ("Lost book", "25")]):
        table.cell(r, 0).text, table.cell(r, 1).text = cells
    qa = indexed(tmp_path, {"levels.html": LEVELS_PAGE, "sizes.md": SIZES_NOTE}, fees=fees)
    outline = qa.view.outline("levels.html")
    assert not any(h.startswith("|") for h in outline.headings)
    row = outline.tables[0]
    assert row[2] == "| Level | Numeric value"
    assert qa.ask("What is the numeric value of WARNING?").citations[0].text == "| WARNING | 30"
    chest = qa.ask("What is the chest size of a large shirt?")
    assert chest.citations[0].text == "| Large | 110 | 16 euros |"
    assert chest.text.startswith("110")
    renewal = qa.ask("What is the charge in euros for a renewal?")
    assert renewal.citations[0].text == "| Renewal | 8"


def test_a_question_may_name_the_document_by_its_file_name(tmp_path):
    """"… in the Quokka README?": the document's file name grounds the names a question uses,
    as its title does (the text never says "README")."""
    qa = indexed(tmp_path, {"quokka-README.md": "Benchmarks ran on a Core i7-9700K CPU at 4.9 GHz "
                            "with the Silesia corpus.\n\nQuokka compresses files quickly.\n"})
    query = qa.queries.build("Which CPU ran the benchmarks in the Quokka README?")
    hits = qa.retriever.search(query, 5)
    basis = qa.ranker.rank(query, hits).basis
    assert "readme" in query.entities
    assert basis[0].text.startswith("Benchmarks ran") and basis[0].grounded == 1.0


MAN_OPTIONS = "".join(
    f"       --opt{i}\n              frob reads option {i} and frobs the input files with "
    f"care number {i}, then frob writes the result.\n\n" for i in range(120))
HTML_BODY = "".join(f"<p>Frobtool option {i} frobs the build tree of frobtool projects in "
                    f"mode {i}, as the frobtool manual explains.</p>" for i in range(150))


@pytest.mark.parametrize("name, page, question, cited, short", [
    ("frob.1.txt",
     f"FROB(1)          General Commands Manual          FROB(1)\n\nNAME\n       frob - "
     f"frob files\n\nOPTIONS\n{MAN_OPTIONS}AUTHOR\n       Ada Quill <ada@example.org>\n\n"
     f"                          May 2026                          FROB(1)\n",
     "Who is the author of frob?", "Ada Quill", "Ada Quill [1]"),
    ("frobtool.html",
     f"<html><head><title>frobtool 3.2 Documentation</title></head><body>{HTML_BODY}"
     f"<div class=\"footer\">\u00a9 Copyright 2000-2022 Quillworks, Inc. and "
     f"Contributors.<br>Created using a generator.</div></body></html>",
     "Who holds the copyright of the frobtool 3.2 documentation?",
     "\u00a9 Copyright 2000-2022 Quillworks", "Quillworks, Inc. and Contributors [1]"),
])
def test_credits_closing_a_long_document_are_found(tmp_path, name, page, question, cited, short):
    """A man page's AUTHOR section and a page's footer notice close a long document whose every
    chunk names the tool: neither search finds them for "Who is the author …?" / "Who holds the
    copyright …?", so the first document's credits join the passages, and their name or holder
    answers. A man page's running foot ("May 2026   FROB(1)") is never the answer."""
    qa = indexed(tmp_path, {name: page})
    answer = qa.ask(question)
    assert answer.citations[0].text.startswith(cited)
    assert answer.short == short


@pytest.mark.parametrize("line, names", [
    ("2004, Oliver Elphick, Martin Pitt", True),
    ("Jane Doe <jane@example.org>", True),
    ("Getting Started", False),
    ("Jane Doe wrote this guide in 2004.", False),
])
def test_a_line_under_a_title_names_its_authors(line, names):
    from assistant.text.sentence_forms import names_authors

    assert names_authors(line) is names


def test_who_wrote_it_is_read_from_the_names_under_its_title(tmp_path):
    """A setext title with its authors' line under it: "Who wrote …?" is answered from that
    line; a document without one is not answered from its subtitle."""
    guide = ("Multi-Version Frobnication in Practice\n======================================\n"
             "2004, Ada Quill, Bram Stoker-Lee\n\nSolving a problem\n-----------------\n\n"
             "When a new frobnicator is released, every cluster must be frobbed again.\n")
    plain = ("Widget Care Handbook\n====================\nGetting Started\n\n"
             "Widgets need oiling every spring and a dry shelf in winter.\n")
    qa = indexed(tmp_path, {"frob-README.md": guide, "widget-README.md": plain})
    answer = qa.ask("Who wrote the Multi-Version Frobnication in Practice document?")
    assert answer.citations[0].text == "2004, Ada Quill, Bram Stoker-Lee"
    assert answer.short.startswith("Ada Quill [1]")
    other = qa.ask("Who wrote the Widget Care Handbook?")
    assert "Getting Started" not in (other.short or "")


def test_a_copyright_notice_answers_only_questions_about_copyright(tmp_path):
    """A page's footer notice ("© 2021 Mara Quill. Reproduced …") is kept from the chrome and
    read as a credit: it answers who holds the copyright, not what else its holder wrote."""
    page = ("<html><body><h1>The Heron</h1><p>The heron counted stones by the river every "
            "morning until the stones ran out.</p><footer><p>\u00a9 2021 Mara Quill. Reproduced "
            "with the author's permission.</p></footer></body></html>")
    qa = indexed(tmp_path, {"heron.html": page})
    answer = qa.ask("Who holds the copyright of The Heron?")
    assert answer.citations and answer.citations[0].text.startswith("\u00a9 2021 Mara Quill")
    assert answer.short == "Mara Quill [1]"
    other = qa.ask("What other stories has Mara Quill published?")
    assert not any(c.text.startswith("\u00a9") for c in other.citations)


@pytest.mark.parametrize("sentence, phrase", [
    ("For twenty years she had sent his groceries out.", "twenty years"),
    ("The Board met eleven times during the year.", "eleven times"),
    ("2. Chief executive's review", None),
    ("It spread over about 6,800 hectares by Saturday.", "about 6,800 hectares"),
])
def test_a_quantity_ends_at_its_noun(sentence, phrase):
    """A quantity takes the words of its unit, not a pronoun or preposition after it, and a
    list item's number is not one."""
    from assistant.text.answer_kinds import find_answer

    span = find_answer("quantity", sentence)
    assert (sentence[span[0]:span[1]] if span else None) == phrase


@pytest.mark.parametrize("question, sentence, phrase", [
    ("For how long does the plant have parts?",
     "The plant, 90 kilometres inland, holds about six days of parts.", "about six days"),
    ("How far is the plant from the port?",
     "The plant has held six days of parts since it opened 90 kilometres inland.", "90 kilometres"),
    ("How hot did it get?", "Some 300 firefighters worked in 41 degrees Celsius.", "41 degrees"),
    ("How far ahead must cakes be ordered?", "Cakes need at least five days' notice; they serve 12.",
     "at least five days"),
    ("How deep is the lake?", "The lake is fed by three mountain streams.", None),
    ("How long is the bridge?", "The bridge, 410 metres long, opened in 1931.", "410 metres"),
    ("What is the size in bytes of a long double?", "A signed, 64-bit integer type.", None),
    ("What is the size in bytes of the header?", "The 64-bit header takes 8 bytes.", "8 bytes"),
    ("How many threads does xz use?", "Since xz 5.3.4alpha, the default is 3 threads.",
     "3 threads"),
    ("How much memory does the decompressor need at level 9?",
     "It needs 5 % to 20 % more than that, about 65 MiB.", "about 65 MiB"),
])
def test_a_quantity_has_the_unit_the_question_asks_for(question, sentence, phrase):
    """"For how long …?" wants a time, "How far …?" a length, "How hot …?" degrees: another
    quantity in the sentence is not the answer ("How long is …?" names no unit)."""
    from assistant.text.answer_kinds import answer_kind, find_answer, quantity_unit

    assert answer_kind(question) == "quantity"
    span = find_answer("quantity", sentence, unit=quantity_unit(question))
    found = sentence[span[0]:span[1]] if span else None
    assert (found and found.startswith(phrase)) if phrase else found is None


def test_a_man_pages_value_rows_are_answers_not_headings(tmp_path):
    """A man page's two-column list ("126    if the command cannot be run") has no sentence
    ending, so its rows read as headings and could never be cited; they are rows."""
    from assistant.text.sentence_forms import HEADING, ITEM, sentence_form

    assert sentence_form("126    if the command cannot be run") == ITEM
    assert sentence_form("0\t     if it succeeds") == ITEM
    assert sentence_form("2 Preparing your program") == HEADING
    page = ("FROB(1)\n\nEXIT STATUS\n       frob exits with the following status:\n\n"
            "\t      0      if it succeeds\n\n\t      3      if the input file is missing\n\n"
            "\t      9      if the frob daemon cannot be reached\n")
    qa = indexed(tmp_path, {"frob.1.txt": page})
    answer = qa.ask("What exit status does frob return if the daemon cannot be reached?")
    assert any(c.text.startswith("9 ") for c in answer.citations), answer.citations


def test_an_api_headings_name_is_cited_with_its_description(tmp_path):
    """Markdown API references name a method only in its heading ("### `timeout.refresh()`")
    above a comment and its description: "which method …?" shows the name; the comment is not
    text."""
    page = ("# Timers\n\n### `timeout.ref()`\n\n<!-- YAML\nadded: v0.9.1\n-->\n\n"
            "When called, requests that the event loop not exit so long as the Timeout is "
            "active.\n\n### `timeout.refresh()`\n\n<!-- YAML\nadded: v10.2.0\n-->\n\n"
            "* Returns: {Timeout} a reference to `timeout`\n\nSets the timer's start time to "
            "the current time, and reschedules the timer to call its callback.\n")
    qa = indexed(tmp_path, {"timers.md": page})
    answer = qa.ask("Which Timeout method resets the timer's start time to the current time?")
    assert answer.citations[0].text.startswith("### `timeout.refresh()`")
    assert answer.text.startswith("`timeout.refresh()`")  # the marks are not shown
    assert "YAML" not in qa.view.span("timers.md", 0, len(page))


def test_a_numbered_html_heading_is_a_heading_not_an_answer(tmp_path):
    """DocBook and Texinfo number their headings ("4. Interpreting Memcheck's output"): read as
    text, the line looked like a numbered list item and was cited as an answer. A page's
    headings are marked as markdown marks them, so they head their sections instead."""
    page = ("<html><body><table><tr><td></td><td></td></tr></table>"
            "<h1>The Quick Start Guide</h1><h2>3. Running your program under Memcheck</h2>"
            "<p>Memcheck is the default tool. The --leak-check option turns on the detailed "
            "memory leak detector.</p><h2>4. Interpreting <em>Memcheck's</em>\noutput</h2>"
            "<p>Memcheck issues a range of error messages.</p></body></html>")
    qa = indexed(tmp_path, {"quick-start.html": page})
    from index.loaders import load_html

    text = load_html(tmp_path / "docs" / "quick-start.html").text
    assert "## 4. Interpreting Memcheck's output" in text.splitlines()
    assert "|" not in text  # the layout table's empty cells
    answer = qa.ask("What does Memcheck's output interpretation cover?")
    assert all("4. Interpreting" not in c.text for c in answer.citations)
    leak = qa.ask("Which option turns on the detailed memory leak detector?")
    assert "--leak-check" in leak.citations[0].text
    assert qa.view.outline("quick-start.html").heading_of(text.index("Memcheck issues")) == \
        "4. Interpreting Memcheck's output"


def test_a_man_page_option_is_cited_without_the_next_one(tmp_path):
    """A citation widens over the sentences after it, but not into the next option of a man
    page: "-k, --keep" and its description are the answer, "-f, --force" another one's."""
    page = ("FROB(1)          General Commands Manual          FROB(1)\n\nOPTIONS\n"
            "       -k, --keep\n              Keep (do not delete) the input files after "
            "frobbing them.\n\n       -f, --force\n              Frob even when the output "
            "file already exists, replacing it.\n")
    qa = indexed(tmp_path, {"frob.1.txt": page})
    answer = qa.ask("Which option keeps the input files?")
    assert answer.citations[0].text.startswith("-k, --keep")
    assert "--force" not in answer.citations[0].text



def test_an_indented_term_stands_in_its_man_page_section(tmp_path):
    """A question may name the section ("Which FROBMcode …?") of an indented term's entry
    ("FROBM_ADDED_TWICE (12)"): the entry is in that section, and a code that only shares its
    beginning ("FROBM_OK") is another name."""
    page = ("libfrob-errors(3)          libfrob errors          libfrob-errors(3)\n\n"
            "NAME\n       libfrob-errors - error codes in libfrob\n\n"
            "FROBcode\n       Almost all calls return a FROBcode.\n\n"
            "       FROB_OK (0)\n              All fine. Proceed as usual.\n\n"
            "       FROB_BAD_PATH (1)\n              The path given to a frobber did not "
            "exist.\n\n"
            "FROBMcode\n       The multi interface returns a FROBMcode.\n\n"
            "       FROBM_OK (0)\n              Things are fine.\n\n"
            + "".join(f"       FROBM_{word}_FAILED ({i})\n              The {word.lower()} step "
                      f"of a multi call failed before it could finish its work.\n\n"
                      for i, word in enumerate(["OPEN", "READ", "SEEK", "LOCK", "SYNC", "MAP",
                                                "WAIT", "POLL", "SEND", "BIND"], 1))
            + "       FROBM_BAD_HANDLE (11)\n              The passed-in handle is not a valid "
            "multi handle.\n\n"
            "       FROBM_ADDED_TWICE (12)\n              A frobber already added to a multi "
            "handle was attempted to get added a second time.\n")
    qa = indexed(tmp_path, {"libfrob-errors.txt": page})
    answer = qa.ask("Which FROBMcode is returned when a frobber already added to a multi "
                    "handle is added a second time?")
    assert not answer.abstained
    assert answer.citations[0].text.startswith("FROBM_ADDED_TWICE (12)")
    assert qa.view.outline("libfrob-errors.txt").section_of(page.index("FROBM_ADDED")) == (
        "FROBMcode")


def test_an_options_default_is_found_at_the_end_of_its_entry(tmp_path):
    """A man page states an option's default last, past what a citation widens over: for
    "What is the default …?" the entry's sentence holding the default joins the citations."""
    page = ("SSH_CONFIG(5)          File Formats Manual          SSH_CONFIG(5)\n\nDESCRIPTION\n"
            "     TunnelDevice\n             Specifies the tun(4) devices to open on the client "
            "(local_tun)\n             and the server (remote_tun).\n\n             The argument "
            "must be local_tun[:remote_tun].  The devices may be\n             specified by "
            "numerical ID or the keyword any, which uses the next\n             available tunnel "
            "device.  If remote_tun is not specified, the\n             remote end is chosen by "
            "the server, which picks the first free one\n             it finds on its side of the "
            "tunnel.  Tunnel devices must exist\n             before the connection is made, and "
            "the user needs the\n             rights to open them on both ends of the link.  "
            "Devices\n             are closed again when the last session over the link ends.  "
            "The default is any:any.\n\n     UpdateHostKeys\n             Specifies "
            "whether ssh(1) should accept notifications of additional\n             hostkeys.\n")
    qa = indexed(tmp_path, {"ssh_config.txt": page})
    answer = qa.ask("What is the default value of TunnelDevice in ssh_config?")
    assert any(c.text.endswith("The default is any:any.") for c in answer.citations)
    assert answer.short.startswith("any")


def test_a_list_item_is_never_a_heading(tmp_path):
    """"- "black" results in invisible links," stands alone between blank lines, as a heading
    does, but it is a list item: the "Default: …" after it belongs to the setting above."""
    page = ("<html><body><h1>Writer settings</h1><p>Settings of the writer.</p>"
            "<h4>link_tint</h4><p>Tint of any links embedded in text.</p>"
            "<ul><li>\"0\" disables tinting of links,</li><li>\"black\" results in invisible "
            "links,</li></ul><p>Default: \"teal\".  Option: --link-tint.</p>"
            "<h4>frame_width</h4><p>Width of the frame in points.</p><p>Default: 3.</p>"
            "</body></html>")
    qa = indexed(tmp_path, {"settings.html": page})
    outline = qa.view.outline("settings.html")
    text = qa.view.span("settings.html", 0, 10_000)
    assert outline.heading_of(text.index("Default: \"teal\"")) == "link_tint"


def test_a_descriptions_later_sentence_is_cited_with_its_term(tmp_path):
    """"Which option shows only the untracked files?": the answer is the term of a definition
    whose second paragraph says so; the citation starts at the term."""
    page = ("<html><body><h1>frob-stash</h1><p>Stash your changes away.</p><dl>"
            "<dt>--include-untracked</dt><dd><p>Also stash the untracked files.</p></dd>"
            "<dt>--only-untracked</dt><dd><p>This option is only valid for the show command."
            "</p><p>Show only the untracked files in the stash entry as part of the diff.</p>"
            "</dd><dt>--index</dt><dd><p>Restore the index as well.</p></dd></dl></body></html>")
    qa = indexed(tmp_path, {"frob-stash.html": page})
    answer = qa.ask("Which frob-stash option shows only the untracked files of a stash entry?")
    first = answer.citations[0].text
    assert first.startswith("--only-untracked: This option") and first.endswith("of the diff.")
