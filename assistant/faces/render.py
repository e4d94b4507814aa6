"""HTML for the web UI: answers with [n] links, source cards, document lists (all text escaped)."""

from __future__ import annotations

import html
import re

from assistant.llm.markers import UNSUPPORTED
from assistant.stages.s5_answer import NO_ANSWER
from assistant.text.display import as_written
from assistant.types import Answer, Citation

CONTEXT_CHARS = 110
MARKER = re.compile(r" ?\[(\d+)\]")
UNSUPPORTED_SPLIT = re.compile(r"(?<=[.!?\]])\s+(?=[^\s\[])")  # between sentences

CSS = """
/* the upload's progress: its label under its bar, not drawn over it */
#upload-status { min-height: 4.5em; }
#upload-status .wrap { flex-direction: column; justify-content: center; gap: .3em; }
#upload-status .progress-level { order: 1; }
#upload-status .progress-text { position: static !important; order: 2; transform: none !important; }
.cq-answer p { margin: 0 0 .5em 0; }
.cq-short { font-size: 1.08em; }
.cq-unsupported { color: var(--body-text-color-subdued); text-decoration: underline dotted #b45309; }
.cq-mode { color: var(--body-text-color-subdued); font-size: .8em; margin-bottom: .2em; }
.cq-cite { font-weight: 700; color: var(--color-accent) !important; text-decoration: none;
  padding: 0 .1em; white-space: nowrap; }
.cq-cards { display: flex; flex-direction: column; gap: .5em; margin-top: .6em; }
.cq-card { border: 1px solid var(--border-color-primary); border-left: 4px solid var(--color-accent);
  border-radius: 6px; padding: .45em .7em; background: var(--background-fill-secondary);
  scroll-margin-top: 4em; }
.cq-card:target { outline: 2px solid var(--color-accent); }
.cq-head { display: flex; flex-wrap: wrap; gap: .2em .6em; align-items: baseline; font-size: .92em; }
.cq-num { font-weight: 700; }
.cq-src { font-weight: 600; overflow-wrap: anywhere; }
.cq-where { color: var(--body-text-color-subdued); font-size: .88em; }
.cq-quote { margin: .3em 0 0 0; font-size: .92em; line-height: 1.45; overflow-wrap: anywhere; }
.cq-ctx { color: var(--body-text-color-subdued); }
.cq-cited { background: rgba(255, 214, 0, .18); border-radius: 2px; }
.cq-quote mark { background: #ffd84d; color: #111; padding: 0 .1em; border-radius: 2px; }
.cq-abstain { border-left: 4px solid #d97706; padding: .3em .7em; color: var(--body-text-color);
  background: var(--background-fill-secondary); border-radius: 4px; }
.cq-error { border-left: 4px solid #dc2626; padding: .2em .6em; }
.cq-warn { color: #92400e; font-size: .85em; margin-bottom: .3em; }
.cq-caret { opacity: .5; }
.cq-docs { width: 100%; border-collapse: collapse; font-size: .92em; }
.cq-docs, .cq-docs thead, .cq-docs tbody, .cq-docs tr { border: none !important; }
.cq-docs td, .cq-docs th { text-align: left; padding: .25em .5em; border: none !important;
  border-bottom: 1px solid var(--border-color-primary) !important; overflow-wrap: anywhere; }
.cq-docs td.num, .cq-docs th.num { text-align: right; }
.cq-muted { color: var(--body-text-color-subdued); }
.cq-ok { color: #15803d; }
.cq-bad { color: #b91c1c; }
footer { display: none !important; }
#upload-status { min-height: 96px; }  /* room for the upload's progress text and bar */
#chat .scroll-down-button-container { display: none !important; }  /* it covered answer text */
@media (max-width: 640px) {  /* a phone: the chat leaves room for the box and the examples */
  #chat { height: 60vh !important; max-height: 60vh !important; }
}
"""


def esc(text: str) -> str:
    """HTML-escape text (quotes included), with bidirectional controls shown as escapes
    (``\u202e``), as in the terminal, so a name or a document cannot reverse what is shown."""
    return html.escape(_BIDI.sub(lambda m: f"\\u{ord(m.group()):04x}", text), quote=True)


_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _squash(text: str) -> str:
    """Runs of whitespace (blank lines included) as one space."""
    return " ".join(text.split())


def _trim_left(text: str) -> str:
    """Context before a citation, cut at a word boundary, whitespace squashed."""
    text = _squash(text) + (" " if text[-1:].isspace() else "")
    if len(text) < CONTEXT_CHARS * 0.9:
        return text
    cut = text.find(" ")
    return "…" + text[cut + 1:] if cut >= 0 else "…" + text


def _trim_right(text: str) -> str:
    """Context after a citation, cut at a word boundary, whitespace squashed."""
    text = (" " if text[:1].isspace() else "") + _squash(text)
    if len(text) < CONTEXT_CHARS * 0.9:
        return text
    cut = text.rfind(" ")
    return (text[:cut] if cut > 0 else text) + "…"


def location(citation: Citation, full_text: str | None = None) -> str:
    """Where a citation sits: the page for paged documents, else lines and characters."""
    if citation.page:
        return f"page {citation.page}"
    chars = f"chars {citation.start:,}–{citation.end:,}"
    if full_text:
        first = full_text.count("\n", 0, citation.start) + 1
        last = first + full_text.count("\n", citation.start, max(citation.start, citation.end - 1))
        lines = f"line {first}" if first == last else f"lines {first}–{last}"
        return f"{lines} · {chars}"
    return chars


def quote(citation: Citation, before: str = "", after: str = "") -> str:
    """The cited text with the answer phrase marked, between muted context."""
    text = citation.text
    if citation.highlight:
        a, b = citation.highlight
        body = (esc(as_written(text[:a])) + "<mark>" + esc(as_written(text[a:b])) + "</mark>"
                + esc(as_written(text[b:])))
    else:
        body = esc(as_written(text))
    return (f"<span class='cq-ctx'>{esc(_trim_left(before))}</span>"
            f"<span class='cq-cited'>{body}</span>"
            f"<span class='cq-ctx'>{esc(_trim_right(after))}</span>")


def card(citation: Citation, turn: int, view=None) -> str:
    """One source card: number, file name, location, the quote in its context (read through
    ``view``, an index.view.DocumentView, when given)."""
    before = after = full = ""
    if view is not None:
        before, after, full = view.context(citation.source, citation.start, citation.end,
                                           CONTEXT_CHARS)
    return (f"<div class='cq-card' id='src-{turn}-{citation.id}'>"
            f"<div class='cq-head'><span class='cq-num'>[{citation.id}]</span>"
            f"<span class='cq-src'>{esc(citation.source)}</span>"
            f"<span class='cq-where'>{esc(location(citation, full))}</span></div>"
            f"<p class='cq-quote'>{quote(citation, before, after)}</p></div>")


def answer_html(answer: Answer, turn: int, view=None) -> str:
    """An answer for the chat: short cited sentences with [n] links, then its source cards."""
    notes = warnings_html(getattr(answer, "warnings", []))
    if answer.abstained or not answer.citations:
        said = ("Try other words, or add the document that holds the answer."
                if answer.text == NO_ANSWER else esc(answer.text))  # not the same thing twice
        return f"{notes}<div class='cq-abstain'><b>Not found in the documents.</b> {said}</div>"
    ids = {c.id for c in answer.citations}

    def link(match: re.Match) -> str:
        n = int(match.group(1))
        if n not in ids:
            return esc(match.group(0))
        return f" <a class='cq-cite' href='#src-{turn}-{n}' title='source {n}'>[{n}]</a>"

    def linked(text: str) -> str:
        parts, pos = [], 0
        for match in MARKER.finditer(text):
            parts.append(esc(text[pos:match.start()]))
            parts.append(link(match))
            pos = match.end()
        parts.append(esc(text[pos:]))
        return "".join(parts)

    def sentences(text: str) -> str:  # a generated sentence no passage supports looks apart
        pieces = UNSUPPORTED_SPLIT.split(text)
        return " ".join(f"<span class='cq-unsupported' title='no passage supports this "
                        f"sentence'>{linked(p)}</span>" if UNSUPPORTED in p else linked(p)
                        for p in pieces if p)

    short = getattr(answer, "short", None)
    lead = f"<p class='cq-short'><strong>{linked(short)}</strong></p>" if short else ""
    cards = "".join(card(c, turn, view) for c in answer.citations)
    badge = ""
    if getattr(answer, "mode", None):
        badge = ("<div class='cq-mode'>generated by the LLM from the passages below</div>"
                 if answer.mode == "llm" else "<div class='cq-mode'>the documents' own "
                 "sentences</div>")
    return (f"{notes}{badge}<div class='cq-answer'>{lead}<p>{sentences(answer.body)}</p>"
            f"<div class='cq-cards'>{cards}</div></div>")


def writing_html(words: int) -> str:
    """While the LLM writes: how far it has got, never its text. Nothing is shown before the
    checks have passed it, so a document that steers the model shows the user nothing."""
    so_far = f"{words} word{'' if words == 1 else 's'} so far; " if words else ""
    return (f"<div class='cq-answer cq-streaming'><p class='cq-muted'>The LLM is writing the "
            f"answer ({so_far}it is shown once checked against the passages)<span "
            f"class='cq-caret'>▍</span></p></div>")


def warnings_html(warnings: list[str]) -> str:
    """Warnings about an answer (the LLM fell back, a sentence matched no passage)."""
    return "".join(f"<div class='cq-warn'>⚠ {esc(w)}</div>" for w in warnings)


def error_html(message: str) -> str:
    """A one-line problem, shown in the chat."""
    return f"<div class='cq-error'>⚠ {esc(message)}</div>"


def documents_html(records, indexing: bool = False) -> str:
    """The indexed documents as a small table; while an upload is being indexed, a line that
    says so (not "No documents yet" for the minutes a large upload takes)."""
    note = ("<p class='cq-muted' id='indexing-note'>Indexing the upload: its documents appear "
            "here when it is done.</p>" if indexing else "")
    if not records:
        return note or "<p class='cq-muted'>No documents yet: upload some above.</p>"
    rows = "".join(f"<tr><td>{esc(r.source)}</td><td class='num'>{r.chunks}</td></tr>"
                   for r in records)
    return (f"{note}<table class='cq-docs'><thead><tr><th>document</th><th class='num'>chunks</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>")


def report_html(report) -> str:
    """An ingest report: what was added, updated, skipped, and each file's error."""
    stored = report.added or report.updated or report.removed or report.skipped
    tone = "cq-ok" if not report.errors else ("cq-warn" if stored else "cq-bad")
    lines = [f"<p class='{tone}'>{esc(report.summary())}</p>"]
    for source, reason in report.errors:
        lines.append(f"<p class='cq-bad'>✗ {esc(source)}: {esc(reason)}</p>")
    for source, share in report.repetitive:
        lines.append(f"<p class='cq-warn'>{esc(source)}: {share:.0%} of its chunks repeat others "
                     f"(each text is searched once)</p>")
    for written, source in report.renamed:
        lines.append(f"<p class='cq-warn'>named {esc(repr(written))} as {esc(source)}: names are "
                     f"compared without invisible or direction characters</p>")
    return "".join(lines)
