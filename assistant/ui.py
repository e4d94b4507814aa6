"""The web UI (Gradio): ask a question, read the answer and the cited sentences."""

from __future__ import annotations

import html

from assistant.core import Assistant
from assistant.errors import CiteqaError

EXAMPLES = ["How many troops?", "How much does Canada's plan cost?"]


def render_sources(answer) -> str:
    """Source cards as escaped HTML, the answer phrase marked."""
    if answer.abstained:
        return "<p><em>No passage in the documents answers this.</em></p>"
    cards = []
    for c in answer.citations:
        text = c.text
        if c.highlight:
            a, b = c.highlight
            body = (html.escape(text[:a]) + "<mark>" + html.escape(text[a:b]) + "</mark>"
                    + html.escape(text[b:]))
        else:
            body = html.escape(text)
        where = f"page {c.page}" if c.page else f"characters {c.start}–{c.end}"
        cards.append(f"<div class='card' id='source-{c.id}'><b>[{c.id}] "
                     f"{html.escape(c.source)}</b> <small>{where}</small><p>{body}</p></div>")
    return "\n".join(cards)


def build(qa: Assistant):
    """The Blocks app."""
    import gradio as gr

    def respond(question, history):
        history = list(history or [])
        try:
            answer = qa.ask(question)
        except CiteqaError as exc:
            history.append({"role": "user", "content": question})
            history.append({"role": "assistant", "content": f"⚠ {exc}"})
            return "", history, ""
        history.append({"role": "user", "content": question})
        history.append({"role": "assistant", "content": answer.text})
        return "", history, render_sources(answer)

    with gr.Blocks(title="citeqa") as app:
        gr.Markdown("## citeqa — answers that cite their sentences")
        chat = gr.Chatbot(label="Conversation", height=360)
        question = gr.Textbox(label="Question", placeholder="Ask about your documents",
                              elem_id="question")
        sources = gr.HTML(label="Sources")
        gr.Examples(EXAMPLES, inputs=question)
        question.submit(respond, [question, chat], [question, chat, sources])
    return app


def serve(qa: Assistant, host: str | None = None, port: int | None = None) -> None:
    """Start the UI, bound to loopback unless told otherwise."""
    app = build(qa)
    auth = tuple(qa.settings.auth.split(":", 1)) if qa.settings.auth else None
    app.launch(server_name=host or qa.settings.host, server_port=port or qa.settings.port,
               auth=auth)
