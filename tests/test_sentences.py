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
