"""The page of `unspin serve` in a real browser: Playwright for Python driving Debian's Chromium
(/usr/bin/chromium, no browser download), against uvicorn on a free loopback port.

Screenshots are saved under each test's tmp_path (run with `--basetemp DIR` to keep them).
"""
from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")
sync_api = pytest.importorskip("playwright.sync_api")
httpx = pytest.importorskip("httpx")

from unspin.web import create_app  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = os.environ.get("UNSPIN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "spun_article.txt"
ARTICLE = ("The mayor said on Monday that the city would build a new bridge across the river next year. "
           "Officials told reporters that the project will cost about 40 million dollars and that work "
           "should start in the spring. Residents have asked for a safer crossing for many years, and "
           "the council voted to approve the plan after a long debate on Thursday evening.")
HOSTILE = ('The minister said <script>window.__pwned = 1; alert("script")</script> and the officials stated '
           '"onmouseover="window.__pwned = 2; alert(\'attr\')" x=" that </textarea><img id="injected" src=x '
           'onerror="window.__pwned = 3; alert(\'img\')"> the information company had a press release '
           "<b id=\"bold\">bold</b> about the large battle in the area.")

if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)


class Server:
    """uvicorn serving `app` on a free loopback port, in a thread."""

    def __init__(self, app):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        deadline = time.time() + 20
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)

    def stop(self):
        self.server.should_exit = True
        self.thread.join(10)


def spin(text, rate, seed):
    from unspin.spinner import Spinner

    return Spinner(seed=seed).spin(text, rate=rate).spun_text


# The servers flag with the span threshold at 0: every proposal becomes a span, so the page always has
# spans to show whatever the calibrated threshold currently is.
@pytest.fixture(scope="module")
def server(default_checker):
    s = Server(create_app(checker=default_checker, threshold=0.0, warm=False))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def archive_server(default_checker, tmp_path_factory):
    trace_index = pytest.importorskip("unspin.trace.index")
    path = tmp_path_factory.mktemp("archive") / "archive.db"
    idx = trace_index.Index(path)
    idx.add([{"id": "bridge-story", "text": ARTICLE, "title": "New bridge <img src=x onerror=alert(9)>",
              "url": "javascript:alert(8)"},
             {"id": "<b id='bold-id'>hostile</b>", "text": HOSTILE, "title": "<script>alert(7)</script>",
              "url": "https://example.org/a?b=<script>"}])
    idx.close()
    s = Server(create_app(checker=default_checker, index=path, threshold=0.0, warm=False))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    pg = context.new_page()
    pg.dialogs, pg.errors = [], []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)  # CSP violations too
    yield pg
    context.close()


def open_page(page, url):
    page.goto(url + "/")
    page.wait_for_function("() => document.getElementById('server').textContent.length > 0")


def visible_text(page, selector, drop=(".tip",)):
    """textContent of `selector` without the given descendants (tooltips, deleted words, screen-reader labels)."""
    return page.evaluate("""([sel, drop]) => {
        const c = document.querySelector(sel).cloneNode(true);
        for (const d of drop) c.querySelectorAll(d).forEach((n) => n.remove());
        return c.textContent; }""", [selector, list(drop)])


def shot(target, tmp_path, name, **kw):
    """Screenshot into the test's tmp_path; also into $UNSPIN_SCREENSHOTS if set (to refresh docs/img)."""
    path = tmp_path / name
    target.screenshot(path=str(path), **kw)
    keep = os.environ.get("UNSPIN_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / name)
    return path


def check_text(page, text, keyboard=True):
    page.fill("#text", text)
    if keyboard:
        page.press("#text", "Control+Enter")
    else:
        page.click("#check-btn")
    page.wait_for_selector("#result:not([hidden])")
    page.wait_for_function("() => document.getElementById('message').textContent.startsWith('Checked')")


def assert_tip_explains(tip, span):
    """A restored span's tip shows its original; a flagged-only one says the original is unknown."""
    if span.get("evidence", {}).get("flag_only"):
        assert tip.locator(".tip-label").text_content() == "likely spun, original unknown"
        assert tip.locator(".tip-original").count() == 0
    else:
        assert tip.locator(".tip-original").text_content() == span["original"]


def test_paste_highlight_hover_focus_diff_and_screenshot(page, server, tmp_path):
    text = EXAMPLE.read_text(encoding="utf-8")
    report = httpx.post(server.url + "/api/check", json={"text": text}, timeout=30).json()
    assert report["spans"], "the sensitive checker flags something in the example"

    open_page(page, server.url)
    check_text(page, text)
    marks = page.locator("#annotated mark.span")
    assert marks.count() == len(report["spans"])
    assert marks.all_text_contents() == [s["text"] for s in report["spans"]]
    assert visible_text(page, "#annotated") == text  # the whole text, nothing lost or added
    assert page.locator("#score").text_content() == f"{round(report['score'] * 100)}%"

    # hover shows the proposed original
    first = marks.nth(0)
    tip = page.locator("#" + first.get_attribute("aria-describedby"))
    assert not tip.is_visible()
    first.hover()
    assert tip.is_visible()
    assert_tip_explains(tip, report["spans"][0])
    page.mouse.move(1, 1)
    assert not tip.is_visible()

    # keyboard focus shows it too, Escape hides it
    page.focus("#diff-toggle")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.matches('#annotated mark.span')")
    assert tip.is_visible()
    page.keyboard.press("Tab")
    second_tip = page.locator("#" + marks.nth(1).get_attribute("aria-describedby"))
    assert second_tip.is_visible() and not tip.is_visible()
    assert_tip_explains(second_tip, report["spans"][1])
    page.locator("#result-h").scroll_into_view_if_needed()
    page.evaluate("() => window.scrollTo(0, document.getElementById('result').offsetTop - 10)")
    shot(page, tmp_path, "serve.png")
    page.keyboard.press("Escape")
    assert not second_tip.is_visible()

    # the toggle (pressed with the keyboard) shows the restored text as a diff
    page.focus("#diff-toggle")
    page.keyboard.press("Enter")
    assert page.get_attribute("#diff-toggle", "aria-pressed") == "true"
    assert page.is_visible("#diff") and not page.is_visible("#annotated")
    restored = [s for s in report["spans"] if s["original"] != s["text"]]
    assert page.locator("#diff del").count() == page.locator("#diff ins").count() == len(restored)
    assert visible_text(page, "#diff", drop=("del", ".sr-only")) == report["restored"]
    assert visible_text(page, "#diff", drop=("ins", ".sr-only")) == text
    shot(page, tmp_path, "serve-diff.png")
    page.keyboard.press("Space")
    assert page.is_visible("#annotated") and not page.is_visible("#diff")
    assert page.dialogs == [] and page.errors == []


def test_phone_width_has_no_horizontal_scroll(browser, server, tmp_path):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    open_page(page, server.url)
    check_text(page, EXAMPLE.read_text(encoding="utf-8"), keyboard=False)
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    box = page.locator("#text").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    page.locator("#annotated mark.span").first.tap()
    shot(page, tmp_path, "serve-phone.png", full_page=True)
    context.close()


def test_open_and_drop_a_txt_file(page, server, tmp_path):
    text = spin(ARTICLE, rate=0.3, seed=5)
    f = tmp_path / "article.txt"
    f.write_text(text, encoding="utf-8")
    open_page(page, server.url)
    page.set_input_files("#file", str(f))
    page.wait_for_function("() => document.getElementById('message').textContent.startsWith('Checked')")
    assert page.input_value("#text") == text
    assert visible_text(page, "#annotated") == text

    other = "A second file, dropped: the officials stated that the battle was large."
    page.evaluate("""(t) => {
        const dt = new DataTransfer();
        dt.items.add(new File([t], "dropped.txt", {type: "text/plain"}));
        document.getElementById("drop").dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
    }""", other)
    page.wait_for_function("(t) => document.getElementById('text').value === t", arg=other)
    page.wait_for_function("(t) => document.getElementById('annotated').textContent.includes('dropped')", arg=other)
    assert visible_text(page, "#annotated") == other


def test_hostile_text_is_shown_as_text_never_run(browser, archive_server, tmp_path):
    # The browser ignores the CSP here: escaping alone must keep the hostile text inert.
    context = browser.new_context(viewport={"width": 1100, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    open_page(page, archive_server.url)
    check_text(page, HOSTILE, keyboard=False)
    page.wait_for_selector("#match-list li.match")  # the hostile archived copy is shown too
    assert page.locator("#annotated mark.span").count() > 0
    for i in range(page.locator("#annotated mark.span").count()):  # an injected onmouseover would fire here
        page.locator("#annotated mark.span").nth(i).hover()
    page.click("#diff-toggle")
    page.click("#diff-toggle")
    assert page.input_value("#text") == HOSTILE  # </textarea> did not break out of the box
    assert visible_text(page, "#annotated") == HOSTILE
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#injected, #bold, #bold-id, img").count() == 0
    assert page.evaluate("document.scripts.length") == 1  # app.js only
    first = page.locator("#match-list li.match").first
    assert first.locator(".match-head strong").text_content() == "<b id='bold-id'>hostile</b>"
    assert first.get_by_text("<script>alert(7)</script>").count() == 1
    assert first.locator("a").get_attribute("href") == "https://example.org/a?b=%3Cscript%3E"
    assert first.locator(".passage.source").first.text_content().startswith("Archive")
    shot(page, tmp_path, "serve-xss.png", full_page=True)
    assert page.dialogs == []
    context.close()


def test_archive_matches_are_shown_side_by_side(page, archive_server, tmp_path):
    spun = spin(ARTICLE, rate=0.3, seed=2)
    matches = httpx.post(archive_server.url + "/api/trace", json={"text": spun, "k": 5}, timeout=30).json()["matches"]
    assert matches and matches[0]["id"] == "bridge-story"

    open_page(page, archive_server.url)
    check_text(page, spun)
    page.wait_for_selector("#match-list li.match")
    head = page.locator("#match-list li.match .match-head").first.text_content()
    assert head.startswith("bridge-story") and f"coverage {round(matches[0]['coverage'] * 100)}%" in head
    first = page.locator("#match-list li.match").first
    assert first.get_by_text("New bridge <img src=x onerror=alert(9)>").count() == 1
    assert first.locator("a").count() == 0 and page.locator("img").count() == 0  # no javascript: link
    sources = page.locator("#match-list .passage.source")
    assert sources.count() == min(5, len(matches[0]["passages"])) > 0
    assert sources.first.text_content() == "Archive" + matches[0]["passages"][0]["source_text"]
    shot(page.locator("#matches"), tmp_path, "serve-trace.png")
    assert page.dialogs == []


def test_openapi_docs_render_offline(page, server):
    pytest.importorskip("fastapi_offline", reason="without fastapi-offline, /docs loads Swagger UI from a CDN")
    page.goto(server.url + "/docs")
    page.wait_for_selector(".opblock", timeout=15000)
    paths = page.locator(".opblock-summary-path").all_text_contents()
    assert {"/api/check", "/api/restore", "/api/trace", "/api/health"} <= set(paths)
    assert page.errors == []


AXE_JS = os.environ.get("UNSPIN_AXE_JS", "")


@pytest.mark.skipif(not Path(AXE_JS).is_file(), reason="set UNSPIN_AXE_JS to axe-core's axe.min.js to run the audit")
@pytest.mark.parametrize("width", [1100, 360])
def test_no_axe_accessibility_violations(browser, archive_server, width):
    """WCAG 2.1 A/AA and best-practice rules of axe-core, on the result and the diff view, with archive
    matches shown. Needs axe-core (`npm install axe-core`): UNSPIN_AXE_JS=path/to/axe.min.js."""
    axe = AXE_JS
    context = browser.new_context(viewport={"width": width, "height": 800}, bypass_csp=True)  # to inject axe
    page = context.new_page()
    open_page(page, archive_server.url)
    check_text(page, spin(ARTICLE, rate=0.3, seed=2))
    page.wait_for_selector("#match-list li.match")
    page.add_script_tag(path=axe)
    for view in ("highlighted", "diff"):
        if view == "diff":
            page.click("#diff-toggle")
        violations = page.evaluate("""async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa',
            'wcag21a', 'wcag21aa', 'best-practice']})).violations.map(v => `${v.id}: ${v.help} (${v.nodes.length})`)""")
        assert violations == [], f"{view} view: {violations}"
    context.close()
