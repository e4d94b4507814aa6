"""The web UI in a real browser: Playwright driving Debian's Chromium against a real server."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.faces.serve import start_background

CHROMIUM = os.environ.get("CITEQA_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
TIMEOUT_MS = 30_000
SHOTS = Path(os.environ.get("CITEQA_SCREENSHOTS", "/tmp/citeqa-screenshots"))
SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "docs" / "mexico-border-troops.txt"
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning",
                                        "ignore:.*(no_silent_downcasting|copy keyword)")
HOSTILE = ("Harbour notice. The harbour master of Port Quillon is Edda Varnsson. "
           "<script>window.__pwned=1</script> Ships must show <b>bold</b> flags at night. "
           '<img src=x onerror="window.__pwned=2"> The pier closes at dusk.\n')


@pytest.fixture(scope="module")
def browser():
    """Chromium, or a skip when it is missing (a failure under CI=true)."""
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: apt-get install -y chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A server over a fresh index of the sample article, plus a hostile document."""
    folder = tmp_path_factory.mktemp("ui")
    docs = folder / "docs"
    docs.mkdir()
    shutil.copy(SAMPLE, docs / SAMPLE.name)
    (docs / "harbour-notice.txt").write_text(HOSTILE)
    qa = Assistant.open(folder / "index", max_upload_mb=1)
    report = qa.ingest([docs])
    assert not report.errors
    server, url = start_background(qa)
    yield url, folder
    server.should_exit = True


def sample_server(tmp_path, **settings):
    """A server over a fresh index of the sample article alone (settings: e.g. llm_url)."""
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SAMPLE, docs / SAMPLE.name)
    qa = Assistant.open(tmp_path / "index", **settings)
    qa.ingest([docs])
    return start_background(qa)


def open_page(browser, url: str, width: int = 1280):
    """A fresh page at ``width`` px, loaded and ready for a question."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    page.locator("#question textarea").wait_for()
    return page


def ask(page, question: str):
    """Type a question, press Enter, return the newest answer element."""
    before = page.locator("#chat .cq-q").count()
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    page.locator("#chat .cq-q").nth(before).wait_for()
    answer = page.locator("#chat .cq-answer, #chat .cq-abstain, #chat .cq-error").nth(before)
    answer.wait_for()
    return answer


@pytest.mark.parametrize("width", [1280, 390])
def test_sample_question_shows_cited_answer_and_source_cards(browser, site, width):
    url, _ = site
    page = open_page(browser, url, width)
    started = time.monotonic()
    answer = ask(page, "How many troops?")
    elapsed = time.monotonic() - started
    cards = answer.locator(".cq-card")
    assert cards.count() >= 1
    assert "10,000" in answer.inner_text()
    card = cards.filter(has_text="10,000").first
    assert "mexico-border-troops.txt" in card.inner_text()
    assert "chars" in card.locator(".cq-where").inner_text()
    assert card.locator("mark").count() == 1  # the answer phrase is highlighted
    # each [n] marker links to its card
    marker = answer.locator("a.cq-cite").first
    target = marker.get_attribute("href")
    assert target.startswith("#src-") and answer.locator(target).count() == 1
    marker.click()
    page.wait_for_function(f"location.hash === '{target}'")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"answer-{width}.png"), full_page=True)
    assert elapsed < 10, f"answer took {elapsed:.1f}s"
    page.close()


def test_abstention_and_clear(browser, site):
    url, _ = site
    page = open_page(browser, url)
    answer = ask(page, "What is the population of Mexico City?")
    assert answer.get_attribute("class") == "cq-abstain"
    assert "Not found in the documents" in answer.inner_text()
    assert answer.locator(".cq-card").count() == 0
    line = page.locator("#settings-line").inner_text()  # what answers here, and how to change it
    assert line.startswith("reader: none · ") and "--reader" in line
    page.locator("#clear").click()
    page.locator("#chat .cq-q").first.wait_for(state="detached")
    page.close()


def test_upload_through_the_page_then_ask_and_remove(browser, site):
    url, folder = site
    good = folder / "lighthouse-log.txt"
    good.write_text("Keeper's log. The lighthouse on Skellig Rock is kept by Orla Byrne. "
                    "She has kept the light burning since 1987.\n")
    empty = folder / "blank.txt"
    empty.write_text("")
    page = open_page(browser, url)
    page.locator("#upload input[type=file]").set_input_files([str(good), str(empty)])
    status = page.locator("#upload-status")
    status.get_by_text("1 added").wait_for()
    assert "blank.txt" in status.inner_text()  # the per-file error, by name
    page.locator("#documents").get_by_text("lighthouse-log.txt").wait_for()
    page.screenshot(path=str(SHOTS / "upload-1280.png"), full_page=True)
    answer = ask(page, "Who keeps the lighthouse on Skellig Rock?")
    assert "Orla Byrne" in answer.inner_text()
    assert "lighthouse-log.txt" in answer.locator(".cq-card").first.inner_text()
    # removal: nothing is chosen beforehand, and the page asks first
    choice = page.locator("#doc-choice input")
    assert choice.input_value() == ""
    page.locator("#remove").click()  # nothing chosen: nothing removed
    status.get_by_text("Nothing removed").wait_for()
    choice.click()
    page.get_by_role("option", name="lighthouse-log.txt").click()
    dialogs = []
    page.once("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.locator("#remove").click()
    page.wait_for_timeout(1500)  # the cancelled event comes back with nothing removed
    assert dialogs and "lighthouse-log.txt" in dialogs[0]
    assert choice.input_value() == "lighthouse-log.txt"
    assert "lighthouse-log.txt" in page.locator("#documents").inner_text()
    page.once("dialog", lambda d: d.accept())
    page.locator("#remove").click()
    status.get_by_text("Removed lighthouse-log.txt").wait_for()
    page.locator("#documents").get_by_text("lighthouse-log.txt").wait_for(state="detached")
    assert choice.input_value() == ""  # not the next document, ready to be clicked away
    page.close()


def test_html_in_documents_and_questions_renders_as_text(browser, site):
    url, _ = site
    page = open_page(browser, url)
    answer = ask(page, "Who is the harbour master of Port Quillon? <img src=y onerror=window.__pwned=3>")
    text = answer.inner_text()
    assert "Edda Varnsson" in text
    assert "<script>window.__pwned=1</script>" in text and "<b>bold</b>" in text
    assert answer.locator("script, b, img").count() == 0
    assert "<img src=y" in page.locator("#chat .cq-q").last.inner_text()
    assert page.evaluate("typeof window.__pwned") == "undefined"
    page.screenshot(path=str(SHOTS / "escaped-1280.png"), full_page=True)
    page.close()


def test_upload_over_the_size_limit_is_refused(browser, site):
    url, folder = site
    big = folder / "too-big.txt"
    big.write_text("All work and no play. " * 60_000)  # about 1.3 MB; the limit here is 1 MB
    page = open_page(browser, url)
    page.locator("#upload input[type=file]").set_input_files(str(big))
    page.get_by_text("exceed the maximum allowed size", exact=False).first.wait_for()
    page.wait_for_timeout(1000)
    page.screenshot(path=str(SHOTS / "too-big-1280.png"), full_page=True)
    assert "too-big.txt" not in page.locator("#documents").inner_text()
    page.close()


def test_llm_mode_streams_the_answer_then_shows_its_source_cards(browser, tmp_path):
    """LLM mode in the page: while the model writes, its progress (never its unchecked text),
    then the checked answer with [n] links and cards."""
    from fake_llm import FakeLLM, Reply

    reply = Reply("Mexico sent hundreds of soldiers [1]. It plans to deploy 10,000 in all [2]. "
                  "The soldiers ride purple elephants.", pieces=16, pause=0.15)
    with FakeLLM(lambda _request: reply) as fake:
        server, url = sample_server(tmp_path, llm_url=fake.url, llm_model="fake")
        try:
            page = open_page(browser, url)
            box = page.locator("#question textarea")
            box.fill("How many troops?")
            box.press("Enter")
            writing = page.locator("#chat .cq-streaming")
            writing.wait_for()  # the model is writing: its progress, never unchecked text
            assert "The LLM is writing" in writing.inner_text()
            assert "soldiers" not in writing.inner_text()
            card = page.locator("#chat .cq-card").first
            card.wait_for()
            answer = page.locator("#chat .cq-answer").last
            assert "10,000 in all" in answer.inner_text()
            assert page.locator("#chat .cq-streaming").count() == 0
            assert answer.locator("a.cq-cite").count() == 2
            assert "mexico-border-troops.txt" in card.inner_text()
            # the mode is shown; the sentence no passage supports is marked [?] and set apart
            assert "generated by the LLM" in page.locator("#chat .cq-mode").last.inner_text()
            odd = answer.locator(".cq-unsupported")
            assert odd.count() == 1 and "purple elephants" in odd.inner_text()
            assert "[?]" in odd.inner_text()
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "llm-answer-1280.png"))
            # switched per question: the next answer is the documents' own sentences
            page.locator("#mode").get_by_text("the documents' sentences").click()
            asked = len(fake.requests)
            second = ask(page, "How much does Canada's plan cost?")
            assert "$1.3 billion" in second.inner_text()
            assert "the documents' own sentences" in page.locator("#chat .cq-mode").last.inner_text()
            assert len(fake.requests) == asked  # the LLM was not asked
        finally:
            server.should_exit = True


def test_the_bundled_model_streams_into_the_page(browser, tmp_path):
    """A real llama.cpp server (the bundled SmolLM2-135M): its reply streams into the page, then
    stands as an answer whose mode is shown and whose every [n] link has its card; when the
    checks refuse the tiny model's reply, that answer is the extractive one with its warning."""
    server, url = sample_server(tmp_path, llm_url="local", llm_model="smollm2-135m")
    try:
        page = open_page(browser, url)
        box = page.locator("#question textarea")
        box.fill("How much does Canada's plan cost?")
        box.press("Enter")
        page.locator("#chat .cq-streaming").wait_for(timeout=120_000)  # the model is writing
        answer = page.locator("#chat .cq-answer").last
        answer.wait_for(timeout=120_000)
        page.locator("#chat .cq-streaming").wait_for(state="detached", timeout=120_000)
        mode = page.locator("#chat .cq-mode").last.inner_text()
        links = answer.locator("a.cq-cite")
        cards = page.locator("#chat .cq-card")
        assert links.count() >= 1 and cards.count() >= 1
        for i in range(links.count()):  # every [n] link lands on its card
            target = links.nth(i).get_attribute("href")
            assert page.locator(f"#chat {target}.cq-card").count() == 1, target
        if "generated by the LLM" not in mode:
            assert "the documents' own sentences" in mode
            assert "extractive answer instead" in page.locator("#chat .cq-warn").last.inner_text()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "local-llm-answer-1280.png"))
    finally:
        server.should_exit = True


def test_examples_come_from_the_indexed_documents_and_a_click_asks(browser, site):
    url, _ = site
    page = open_page(browser, url)
    buttons = page.locator("#examples button:visible")
    buttons.first.wait_for()
    offered = [buttons.nth(i).inner_text() for i in range(buttons.count())]
    assert offered == ["How many troops?", "What is harbour notice about?"], offered
    buttons.nth(1).click()  # asks at once
    page.locator("#chat .cq-q").first.wait_for()
    answer = page.locator("#chat .cq-answer, #chat .cq-abstain").first
    answer.wait_for()
    assert "What is harbour notice about?" in page.locator("#chat .cq-q").first.inner_text()
    assert "harbour-notice.txt" in answer.inner_text()
    page.close()


def test_a_document_removed_in_one_tab_leaves_the_others_list(browser, tmp_path):
    from assistant.faces.ui import REFRESH_S, remove

    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SAMPLE, docs / SAMPLE.name)
    (docs / "tide-table.txt").write_text("High water at Port Quillon is at 06:12 on Monday.\n")
    qa = Assistant.open(tmp_path / "index")
    qa.ingest([docs])
    server, url = start_background(qa, warm=False)
    try:
        other_tab = open_page(browser, url)
        listed = other_tab.locator("#documents")
        listed.get_by_text("tide-table.txt").wait_for()
        assert "Removed" in remove(qa, "tide-table.txt")  # as the first tab's button does
        listed.get_by_text("tide-table.txt").wait_for(state="detached",
                                                      timeout=(REFRESH_S + 10) * 1000)
        other_tab.close()
    finally:
        server.should_exit = True


def test_ask_with_an_empty_box_says_what_to_do(browser, site):
    url, _ = site
    page = open_page(browser, url)
    page.locator("#ask").click()
    hint = page.locator("#chat .cq-error").first
    hint.wait_for()
    assert "Type a question" in hint.inner_text()
    page.close()


def test_examples_take_turns_across_kinds_of_files_and_titles_are_not_shouted():
    from assistant.faces.ui import _by_kind, title_of

    names = ["Apache-2.0", "GPL-3", "MPL-2.0", "deque.html", "heapq.html", "pathlib.html"]
    assert _by_kind(names)[:3] == ["Apache-2.0", "deque.html", "GPL-3"]  # "-2.0" is no type
    assert title_of("GNU GENERAL PUBLIC LICENSE\n\nVersion 3", "GPL-3") == \
        "GNU General Public License"


def test_a_file_of_any_type_is_taken_and_accounted_for_once(browser, tmp_path):
    """A licence without an extension is indexed; a picture is named in the summary alone, not
    refused in a toast over the header first."""
    server, url = sample_server(tmp_path)
    try:
        notice = tmp_path / "NOTICE"
        notice.write_text("This product includes the Kellswater tide tables, compiled by Ada "
                          "Brook.\n")
        picture = tmp_path / "chart.png"
        picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(300))
        page = open_page(browser, url)
        page.locator("#upload input[type=file]").set_input_files([str(notice), str(picture)])
        status = page.locator("#upload-status")
        status.get_by_text("1 added").wait_for()
        assert "chart.png" in status.inner_text() and "unsupported type .png" in status.inner_text()
        assert page.locator(".toast-body").count() == 0
        page.locator("#documents").get_by_text("NOTICE").wait_for()
        page.close()
    finally:
        server.should_exit = True


def test_a_long_upload_shows_its_progress_readably_and_is_not_called_no_documents(browser, tmp_path):
    """While a large upload is indexed, the documents list says so (not "No documents yet"),
    and the progress label sits under its bar instead of over it."""
    qa = Assistant.open(tmp_path / "index")
    server, url = start_background(qa)
    try:
        words = "river harbour tide ship cargo master pier lantern north south winter".split()
        ledger = tmp_path / "ledger.txt"  # 3,000 sentences: several seconds of embedding
        ledger.write_text("\n".join(f"The {words[i % 11]} {words[i * 7 % 11]} entry number {i} "
                                    f"names the {words[i * 3 % 11]}." for i in range(3000)))
        page = open_page(browser, url)
        page.locator("#documents").get_by_text("No documents yet").wait_for()
        page.locator("#upload input[type=file]").set_input_files(str(ledger))
        page.locator("#documents").get_by_text("Indexing the upload").wait_for()
        label = page.locator("#upload-status .progress-text")
        label.get_by_text("sentences").wait_for()
        bar = page.locator("#upload-status .progress-bar-wrap").bounding_box()
        text = label.bounding_box()
        assert text["y"] >= bar["y"] + bar["height"] - 1, (text, bar)  # under the bar, not on it
        page.screenshot(path=str(SHOTS / "upload-progress.png"))
        page.locator("#documents").get_by_text("ledger.txt").wait_for(timeout=120_000)
        assert "Indexing the upload" not in page.locator("#documents").inner_text()
        page.close()
    finally:
        server.should_exit = True
