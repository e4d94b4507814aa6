"""The HTTP API against a real server on loopback (real model, real index of the sample article)."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from assistant import Assistant
from assistant.faces.guard import is_loopback
from assistant.faces.serve import make_server, start_background


def call(url: str, body: bytes | dict | None = None, headers: dict | None = None,
         method: str | None = None) -> tuple[int, object]:
    """One request; (status, the JSON body decoded, or the raw bytes when it is not JSON)."""
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    return status, json.loads(raw) if raw.lstrip().startswith((b"{", b"[")) else raw


@pytest.fixture(scope="module")
def base(sample_qa: Assistant):
    """The UI and API serving the sample index on a free loopback port."""
    server, url = start_background(sample_qa, warm=False)
    yield url
    server.should_exit = True


def test_ask_returns_the_ask_json_contract(base):
    status, data = call(f"{base}/api/ask", {"question": "How many troops?"})
    assert status == 200
    assert set(data) == {"question", "answer", "short", "abstained", "confidence", "citations",
                         "timings_ms"}
    assert data["abstained"] is False and data["question"] == "How many troops?"
    assert any("10,000" in c["text"] for c in data["citations"])
    first = data["citations"][0]
    assert {"id", "source", "text", "start", "end", "score"} <= set(first)
    assert first["source"] == "mexico-border-troops.txt"
    assert "[1]" in data["answer"]


def test_ask_top_k_and_abstention(base):
    status, data = call(f"{base}/api/ask", {"question": "What is the population of Mexico City?",
                                            "top_k": 3})
    assert status == 200
    assert data["abstained"] is True and data["citations"] == []


@pytest.mark.parametrize("body, words", [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "JSON object"),
    (b"", "JSON object"),
    ({"question": "   "}, "empty"),
    ({"question": 42}, '"question"'),
    ({"query": "troops"}, '"question"'),
    ({"question": "How many troops?", "top_k": 0}, "top_k"),
    ({"question": "How many troops?", "top_k": "5"}, "top_k"),
    ({"question": "x" * 5000}, "limit"),
    ({"question": "How many?", "history": "troops"}, '"history"'),
    ({"question": "How many?", "history": [42]}, '"history"'),
    ({"question": "How many troops?", "mode": "poetry"}, '"mode"'),
    ({"question": "How many troops?", "mode": "llm"}, "needs an LLM"),
])
def test_bad_ask_requests_get_400_with_an_error(base, body, words):
    status, data = call(f"{base}/api/ask", body, {"Content-Type": "application/json"})
    assert status == 400
    assert set(data) == {"error"} and words in data["error"]
    assert "Traceback" not in data["error"]


def test_ask_in_extractive_mode(base):
    status, data = call(f"{base}/api/ask", {"question": "How many troops?", "mode": "extractive"})
    assert status == 200 and not data["abstained"] and data["citations"]


def test_ask_with_history_answers_the_follow_up(base):
    status, data = call(f"{base}/api/ask", {
        "question": "How many personnel?",
        "history": [{"question": "How much does Canada's plan cost?"}]})
    assert status == 200, data
    first = data["citations"][0]
    a, b = first["highlight"]
    assert first["text"][a:b] == "Nearly 10,000 frontline personnel"


def test_retrieve_returns_passages(base):
    status, data = call(f"{base}/api/retrieve", {"query": "troops at the border", "top_k": 2})
    assert status == 200
    assert 1 <= len(data["passages"]) <= 2
    passage = data["passages"][0]
    assert {"text", "source", "start", "end", "score"} <= set(passage)
    assert passage["source"] == "mexico-border-troops.txt"
    status, data = call(f"{base}/api/retrieve", {"question": "troops"})
    assert status == 400 and '"query"' in data["error"]


def test_docs_lists_documents(base):
    status, data = call(f"{base}/api/docs")
    assert status == 200
    assert data == [{"source": "mexico-border-troops.txt", "chunks": data[0]["chunks"]}]
    assert data[0]["chunks"] >= 1


def test_unknown_endpoints_and_methods_answer_json(base):
    for url, method in [(f"{base}/api/nothing", "GET"), (f"{base}/api/ask", "GET")]:
        status, data = call(url, method=method)
        assert status == 404 and "no such endpoint" in data["error"]


def test_concurrent_requests_all_succeed(base):
    questions = ["How many troops?", "How much does Canada's plan cost?", "Who paused tariffs?"] * 6

    def ask(q):
        return call(f"{base}/api/ask", {"question": q})

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(ask, questions))
    assert [s for s, _ in results] == [200] * len(questions)
    assert all(d["question"] == q for (_, d), q in zip(results, questions))


def test_the_ui_is_served_beside_the_api(base):
    with urllib.request.urlopen(f"{base}/", timeout=30) as resp:
        assert resp.status == 200 and b"citeqa" in resp.read()


def test_auth_protects_the_api(sample_qa):
    qa = Assistant(sample_qa.settings.model_copy(update={"auth": "ann:s3cret"}),
                   index=sample_qa.index)  # the same loaded model and stores
    server, url = start_background(qa, warm=False)
    try:
        status, data = call(f"{url}/api/docs")
        assert status == 401 and "login" in data["error"]
        bad = base64.b64encode(b"ann:wrong").decode()
        assert call(f"{url}/api/docs", headers={"Authorization": f"Basic {bad}"})[0] == 401
        good = base64.b64encode(b"ann:s3cret").decode()
        status, data = call(f"{url}/api/docs", headers={"Authorization": f"Basic {good}"})
        assert status == 200 and data[0]["source"] == "mexico-border-troops.txt"
    finally:
        server.should_exit = True


def test_public_bind_without_auth_warns(sample_qa, capsys):
    make_server(sample_qa, host="0.0.0.0", port=1, warm=False)  # built, never started
    assert "CITEQA_AUTH" in capsys.readouterr().err
    make_server(sample_qa, host="127.0.0.1", port=1, warm=False)
    assert capsys.readouterr().err == ""
    assert is_loopback("localhost") and is_loopback("::1") and not is_loopback("192.168.1.5")


def test_history_items_may_carry_sources_and_bad_ones_get_400(base):
    status, data = call(f"{base}/api/ask", {
        "question": "How many personnel?",
        "history": [{"question": "How much does Canada's plan cost?",
                     "sources": ["mexico-border-troops.txt"]}]})
    assert status == 200 and "10,000" in data["citations"][0]["text"]
    status, data = call(f"{base}/api/ask", {"question": "How many?",
                                            "history": [{"question": "q", "sources": "x"}]})
    assert status == 400 and "sources" in data["error"]


def test_ask_in_llm_mode_over_http(sample_qa):
    """/api/ask answers with the generated text, its checked citations and "mode": "llm"."""
    from fake_llm import FakeLLM

    with FakeLLM("Mexico has sent hundreds of soldiers [1].") as fake:
        qa = Assistant(sample_qa.settings.model_copy(update={"llm_url": fake.url,
                                                             "llm_model": "fake"}),
                       index=sample_qa.index)
        server, url = start_background(qa, warm=False)
        try:
            status, data = call(f"{url}/api/ask", {"question": "How many troops?"})
        finally:
            server.should_exit = True
    assert status == 200, data
    assert data["mode"] == "llm" and data["answer"] == "Mexico has sent hundreds of soldiers [1]."
    assert len(data["citations"]) == 1 and "hundreds of soldiers" in data["citations"][0]["text"]
