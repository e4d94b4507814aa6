"""The web UI (Gradio Blocks): chat with cited answers and source cards, upload, documents."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from assistant.core import Assistant
from assistant.errors import CiteqaError
from assistant.render import (
    CSS,
    answer_html,
    documents_html,
    error_html,
    esc,
    report_html,
    streaming_html,
)
from assistant.settings import parse_auth
from index.loaders import LOADERS

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

SAMPLE_SOURCE = "mexico-border-troops.txt"  # the article make run indexes (examples/docs)
SAMPLE_QUESTIONS = ["How many troops?", "How much does Canada's plan cost?",
                    "When was the deal announced?"]
MAX_EXAMPLES = 3
REFRESH_S = 10  # each open page re-reads the documents list this often (other tabs change it)
FILE_TYPES = list(LOADERS)  # what ingest reads (index/loaders.py)
INTRO = ("Ask about your documents. Every answer is made of sentences from them, each with a "
         "numbered source card below it; click a number to jump to its card.")
INTRO_LLM = ("Ask about your documents. {model} writes each answer from passages of them; every "
             "sentence carries a numbered marker, checked against the passages, that jumps to the "
             "sentence it rests on.")

FONTS = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"]
MONO = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]
SCROLL_JS = """() => { setTimeout(() => {
  const all = document.querySelectorAll('#chat .cq-q');
  const el = all[all.length - 1]; let box = el && el.parentElement;
  while (box && !(box.scrollHeight > box.clientHeight + 4
         && /(auto|scroll)/.test(getComputedStyle(box).overflowY))) box = box.parentElement;
  if (box) box.scrollTop += el.getBoundingClientRect().top - box.getBoundingClientRect().top - 24;
}, 50); }"""

ECHO_CHARS = 2000  # a question echoed in the chat is cut here (longer ones are refused anyway)
STREAM_EVERY_S = 0.05  # redraw a streaming answer at most this often
# a removal asks first; cancelled (or nothing chosen) the handler gets None and removes nothing
CONFIRM_REMOVE_JS = ("(name) => (name && window.confirm('Remove ' + name + ' from the index? "
                     "Its answers go with it.')) ? name : null")
_write_lock = threading.Lock()  # ingest and remove one at a time; questions run concurrently


def launch_options(qa: Assistant) -> dict:
    """Options shared by launch() and mount_gradio_app(): login, upload limit, theme, CSS."""
    import gradio as gr

    return {"auth": parse_auth(qa.settings.auth), "auth_message": "citeqa: sign in",
            "max_file_size": f"{qa.settings.max_upload_mb}mb", "ssr_mode": False,
            "show_error": False,  # Gradio's own refusals name server paths; ours are shown
            "footer_links": [], "theme": THEME(gr), "css": CSS}


def THEME(gr):  # noqa: N802 - a constant built lazily, so importing this module stays light
    """System fonts (nothing fetched), indigo accents."""
    return gr.themes.Default(primary_hue="indigo", font=FONTS, font_mono=MONO)


def _ask_stream(qa: Assistant, question: str, conversation):
    """The answer's stream (text pieces, then the Answer), through the conversation API."""
    if conversation is None and hasattr(qa, "chat"):
        conversation = qa.chat()
    if conversation is not None and hasattr(conversation, "ask_stream"):
        return conversation.ask_stream(question), conversation
    if conversation is not None:
        return iter([conversation.ask(question)]), conversation
    return qa.ask_stream(question), None


def respond(qa: Assistant, question: str, history: list | None, conversation):
    """Chat handler: append the question, then the answer as it streams (LLM mode), then the
    cited answer (or the problem). A generator: Gradio shows each state it yields."""
    history = list(history or [])
    question = (question or "").strip()
    if not question:
        yield "", history, conversation
        return
    turn = sum(1 for m in history if _role(m) == "assistant") + 1
    shown = question if len(question) <= ECHO_CHARS else question[:ECHO_CHARS] + " …"
    asked = {"role": "user", "content": f"<div class='cq-q'>{esc(shown)}</div>"}
    try:
        items, conversation = _ask_stream(qa, question, conversation)
        streamed, last = "", 0.0
        for item in items:
            if isinstance(item, str):
                streamed += item
                if time.monotonic() - last > STREAM_EVERY_S:
                    last = time.monotonic()
                    yield "", history + [asked, {"role": "assistant",
                                                 "content": streaming_html(streamed)}], conversation
                continue
            reply = answer_html(item, turn, qa.view)
    except CiteqaError as exc:
        reply = error_html(str(exc))
    yield "", history + [asked, {"role": "assistant", "content": reply}], conversation


def _role(message) -> str | None:
    """The role of a chat message, whether a dict or a Gradio message object."""
    return message.get("role") if isinstance(message, dict) else getattr(message, "role", None)


def upload_folder() -> Path:
    """Where Gradio stores the files users upload (GRADIO_TEMP_DIR, else TMP/gradio)."""
    from gradio.utils import get_upload_folder

    return Path(get_upload_folder()).resolve()


def private_upload_folder() -> Path:
    """Give this server an upload folder of its own (mode 0700, unless GRADIO_TEMP_DIR names
    one): the folder Gradio shares by default (TMP/gradio) can be written by other programs,
    and files found there would count as uploads."""
    import tempfile

    if not os.environ.get("GRADIO_TEMP_DIR"):
        os.environ["GRADIO_TEMP_DIR"] = tempfile.mkdtemp(prefix="citeqa-uploads-")
    return upload_folder()


def uploaded_only(paths: list[Path]) -> bool:
    """Whether every path is a file inside the upload folder (links resolved). A client can
    send any server path as an upload's data; Gradio checks it too (serve.full_app turns that
    check on), and this handler does not rely on it."""
    folder = upload_folder()
    return all(p.resolve().is_relative_to(folder) and p.resolve().is_file() for p in paths)


def upload(qa: Assistant, files, progress=None) -> tuple[str, str | None]:
    """Index uploaded files; the report (with per-file errors) as HTML, and a new document's name."""
    paths = [Path(f if isinstance(f, str) else f.name) for f in files or []]
    if not paths:
        return "<p class='cq-muted'>No files chosen.</p>", None
    if not uploaded_only(paths):
        return ("<p class='cq-bad'>✗ only files uploaded through this page can be added</p>",
                None)

    def step(done: int, total: int, what: str) -> None:
        if progress is not None:
            progress((done, max(total, 1)), desc=what,
                     unit="sentences" if what.startswith("embedding") else "files")

    with _write_lock:
        try:
            report = qa.ingest(paths, progress=step, uploaded=True)
        except CiteqaError as exc:
            return f"<p class='cq-bad'>✗ {esc(str(exc))}</p>", None
    return report_html(report), (report.added + report.updated or [None])[0]


def remove(qa: Assistant, source: str | None) -> str:
    """Remove one document from the index; a one-line HTML result."""
    if not source:
        return "<p class='cq-muted'>Nothing removed.</p>"
    with _write_lock:
        try:
            removed = qa.remove(source)
        except CiteqaError as exc:  # e.g. another process is writing the index
            return f"<p class='cq-bad'>✗ {esc(str(exc))}</p>"
    if removed:
        return f"<p class='cq-ok'>Removed {esc(source)}.</p>"
    return f"<p class='cq-bad'>✗ {esc(source)} is not in the index.</p>"


def title_of(head: str, source: str) -> str:
    """A document's title: its first line when it reads like one, else its file name."""
    first = next((line.strip().lstrip("#").strip() for line in head.splitlines() if line.strip()),
                 "")
    if 3 <= len(first) <= 80 and not first.endswith((".", ":", ",")):
        return first
    return Path(source).stem.replace("-", " ").replace("_", " ")


def example_questions(qa: Assistant, records) -> list[str]:
    """Questions to offer: the sample's own when it is indexed, then one about each other
    document's title, kept only when the documents answer it (an example that ends in "not
    found" teaches nothing)."""
    names = [r.source for r in records]
    picked = SAMPLE_QUESTIONS[:MAX_EXAMPLES if names == [SAMPLE_SOURCE] else 1] \
        if SAMPLE_SOURCE in names else []
    for name in names[:20]:
        if len(picked) >= MAX_EXAMPLES:
            break
        if name == SAMPLE_SOURCE:
            continue
        candidate = f"What is {title_of(qa.view.span(name, 0, 300), name)} about?"
        try:
            if not qa.ask(candidate).abstained:
                picked.append(candidate)
        except CiteqaError:
            continue
    return picked


def build(qa: Assistant):
    """The Blocks app."""
    import gradio as gr

    def ask_event(question, history, conversation):
        yield from respond(qa, question, history, conversation)

    offered_for: dict[tuple, list[str]] = {}  # the example questions, by the documents indexed

    def docs_state(_added: str | None = None):
        """The documents table, the removal choices (nothing chosen: a removal is picked and
        confirmed each time) and the example questions drawn from the documents."""
        try:
            records = qa.documents()
        except CiteqaError as exc:  # e.g. the index was deleted under the server
            return (f"<p class='cq-bad'>✗ {esc(str(exc))}</p>", gr.update(choices=[], value=None),
                    *[gr.update(visible=False)] * MAX_EXAMPLES)
        names = [r.source for r in records]
        key = tuple((r.source, r.sha256) for r in records)
        if key not in offered_for:  # each candidate is asked once per set of documents
            offered_for.clear()
            offered_for[key] = example_questions(qa, records)
        offered = offered_for[key]
        shown = [gr.update(value=q, visible=True) for q in offered]
        hidden = [gr.update(visible=False)] * (MAX_EXAMPLES - len(offered))
        return documents_html(records), gr.update(choices=names, value=None), *shown, *hidden

    def refresh_event():
        """The documents table and choices again (another tab may have changed them); the
        removal choice and the examples stay as they are."""
        try:
            records = qa.documents()
        except CiteqaError as exc:
            return f"<p class='cq-bad'>✗ {esc(str(exc))}</p>", gr.update()
        return documents_html(records), gr.update(choices=[r.source for r in records])

    def upload_event(files, progress=gr.Progress()):  # noqa: B008 - Gradio's idiom
        status, added = upload(qa, files, progress)
        return (status, *docs_state(added), None)

    def remove_event(source):
        if not source:  # nothing chosen, or the confirmation cancelled: the choice stays
            return remove(qa, source), *[gr.update()] * (2 + MAX_EXAMPLES)
        return (remove(qa, source), *docs_state())

    with gr.Blocks(title="citeqa") as app:
        intro = INTRO if not qa.settings.llm_url else INTRO_LLM.format(
            model=qa.settings.llm_model or "the LLM")
        gr.Markdown(f"## citeqa — answers that cite their sentences\n{intro}")
        conversation = gr.State(None)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                chat = gr.Chatbot(label="Conversation", show_label=False, height=560,
                                  elem_id="chat", layout="panel", render_markdown=False,
                                  sanitize_html=True, autoscroll=False,
                                  feedback_options=None, buttons=[],
                                  placeholder="Ask a question below, or click an example.")
                with gr.Row(equal_height=True):
                    question = gr.Textbox(show_label=False, placeholder="Ask about your documents",
                                          elem_id="question", scale=5, max_lines=4, autofocus=True,
                                          submit_btn=False)
                    ask_btn = gr.Button("Ask", variant="primary", scale=1, min_width=80,
                                        elem_id="ask")
                with gr.Row(elem_id="examples"):  # filled from the documents; a click asks
                    examples = [gr.Button(visible=False, size="sm", variant="secondary",
                                          elem_classes="cq-example", min_width=0)
                                for _ in range(MAX_EXAMPLES)]
                clear = gr.Button("Clear conversation", size="sm", elem_id="clear")
            with gr.Column(scale=2, min_width=280):
                gr.Markdown("### Documents")
                files = gr.File(label="Add documents", file_count="multiple",
                                file_types=FILE_TYPES, elem_id="upload", height=120)
                gr.Markdown(f"<span class='cq-muted'>{' '.join(FILE_TYPES)} · up to "
                            f"{qa.settings.max_upload_mb} MB a file</span>")
                status = gr.HTML(elem_id="upload-status", min_height=0)
                doc_list = gr.HTML(elem_id="documents", min_height=0)
                chosen = gr.Dropdown(label="Remove a document", choices=[], value=None,
                                     elem_id="doc-choice")
                remove_btn = gr.Button("Remove from index", variant="stop", size="sm",
                                       elem_id="remove")

        inputs, outputs = [question, chat, conversation], [question, chat, conversation]
        for trigger in (question.submit, ask_btn.click):
            trigger(ask_event, inputs, outputs, concurrency_limit=None).then(
                None, None, None, js=SCROLL_JS)
        clear.click(lambda: ([], None, ""), None, [chat, conversation, question])
        chat.clear(lambda: None, None, conversation)  # the chat's own bin icon forgets follow-ups too
        for example in examples:
            example.click(ask_event, [example, chat, conversation], outputs,
                          concurrency_limit=None).then(None, None, None, js=SCROLL_JS)
        state = [doc_list, chosen, *examples]
        files.upload(upload_event, files, [status, *state, files], concurrency_limit=1,
                     show_progress_on=[status])  # one progress display, not one per output
        remove_btn.click(remove_event, chosen, [status, *state], concurrency_limit=1,
                         js=CONFIRM_REMOVE_JS)
        app.load(docs_state, None, state)
        gr.Timer(REFRESH_S).tick(refresh_event, None, [doc_list, chosen], show_progress="hidden")
    app.queue(default_concurrency_limit=8)
    return app

