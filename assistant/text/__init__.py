"""What the stages know about text: how a sentence is scored against a question (``scoring``),
names and numbers (``entities``), the kind of answer a question asks and where it stands in a
sentence (``answer_kinds``), what kind of line a sentence is (``sentence_forms``), and a
document's own "[n]" kept apart from citation markers (``markers``)."""
