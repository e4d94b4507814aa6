from index.chunking import chunk_sentences
from index.sentences import split_sentences


def test_sentences_are_offsets_into_the_text():
    text = ("Dr. Smith sent 10,000 troops on Tuesday. The U.S. agreed.\n\n"
            "A title line\nMr. Jones said no. It rained.")
    spans = split_sentences(text)
    pieces = [text[a:b] for a, b in spans]
    assert pieces == ["Dr. Smith sent 10,000 troops on Tuesday.", "The U.S. agreed.",
                      "A title line", "Mr. Jones said no.", "It rained."]


def test_hard_wrapped_lines_join_into_one_sentence():
    text = ("This sentence is wrapped across two lines by an old\n"
            "text editor and should stay whole. Next one.")
    pieces = [text[a:b] for a, b in split_sentences(text)]
    assert pieces[0].startswith("This sentence") and pieces[0].endswith("whole.")
    assert pieces[1] == "Next one."


def test_a_short_wrapped_line_ending_on_a_comma_goes_on_its_sentence():
    """Not a title: "with a Core i7-9700K CPU @ 4.9GHz," is mid-sentence; and a wrapped line
    starting "873." is not a numbered item (those have at most two digits)."""
    text = ("The benchmarks were run on a desktop running Ubuntu 20.04,\n"
            "with a Core i7-9700K CPU @ 4.9GHz,\n"
            "using lzbench, an open-source in-memory benchmark.\n\n"
            "Connections to the daemon typically use the TCP port\n"
            "873.  The administrator starts the daemon.")
    pieces = [text[a:b] for a, b in split_sentences(text)]
    assert pieces[0].endswith("in-memory benchmark.") and "i7-9700K" in pieces[0]
    assert pieces[1].endswith("TCP port\n873.")


def test_a_man_page_term_goes_on_with_its_description():
    """A rendered man page indents a term ("-k, --keep", "CURLE_X (28)") and its description
    deeper: the term is the context its description needs. A section heading at the margin
    stays apart."""
    text = ("DESCRIPTION\n       The frob tool frobs files.\n\n"
            "       CURLE_WEIRD_SERVER_REPLY (8)\n"
            "              The server sent data libcurl could not parse.\n\n"
            "       -k, --keep\n              Keep (do not delete) input files.")
    pieces = [text[a:b] for a, b in split_sentences(text)]
    assert pieces[0] == "DESCRIPTION"
    assert "CURLE_WEIRD_SERVER_REPLY (8)\n              The server sent" in pieces[2]
    assert pieces[3].startswith("-k, --keep\n") and pieces[3].endswith("input files.")


def test_a_man_page_rendered_with_tabs_keeps_its_terms():
    """``man tar | col -b`` writes a description's indent of 14 columns as a tab and 6 spaces:
    a tab counts to the next multiple of 8, so the term still goes on with its description."""
    text = ("OPTIONS\n       -J, --xz\n\t      Filter the archive through xz(1).\n\n"
            "       --lzip\n\t      Filter the archive through lzip(1).")
    pieces = [text[a:b] for a, b in split_sentences(text)]
    assert pieces[1].startswith("-J, --xz\n") and pieces[1].endswith("through xz(1).")
    assert pieces[2].startswith("--lzip\n")


def test_a_setext_underline_ends_its_title():
    """"Title\n=====\n2004, Jane Doe": three lines, not one hard-wrapped sentence."""
    text = ("Multi-Version Frobnication in Practice, an Architecture\n"
            "========================================================\n"
            "2004, Jane Doe, John Roe\n\nSolving a problem\n-----------------\n\nText here.")
    pieces = [text[a:b] for a, b in split_sentences(text)]
    assert pieces[0] == "Multi-Version Frobnication in Practice, an Architecture"
    assert pieces[2] == "2004, Jane Doe, John Roe"
    assert pieces[3] == "Solving a problem" and pieces[-1] == "Text here."


def test_a_list_number_stays_with_its_item():
    """Punkt ends a sentence at "2." before a capital: the number and its item are one."""
    text = "Contents: 1. Chair's foreword 2. Chief executive's review 3. About the company"
    pieces = [text[a:b] for a, b in split_sentences(text)]
    assert "2." not in pieces and all(len(p) > 3 for p in pieces)


def test_long_sentence_is_capped():
    text = "word " * 2000
    spans = split_sentences(text, max_chars=300)
    assert len(spans) > 10
    assert all(b - a <= 300 for a, b in spans)


def test_chunks_fit_budget_and_overlap():
    spans = [(i * 10, i * 10 + 9) for i in range(20)]
    tokens = [30] * 20
    chunks = chunk_sentences(spans, tokens, max_tokens=100, overlap_tokens=30)
    assert all(sum(30 for _ in c.sentences) <= 100 for c in chunks)
    covered = {s for c in chunks for s in c.sentences}
    assert covered == set(spans)
    for prev, nxt in zip(chunks, chunks[1:]):
        assert prev.sentences[-1] == nxt.sentences[0]  # one sentence of overlap
