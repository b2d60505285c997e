"""The JSON API of `unspin serve`: contract, limits, errors (FastAPI's TestClient, no network)."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

import unspin  # noqa: E402
from unspin.report import Report, Span, apply_spans  # noqa: E402
from unspin.web import create_app  # noqa: E402
from unspin.web.tracing import IndexUnavailable  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "spun_article.txt"
ARTICLE = ("The mayor said on Monday that the city would build a new bridge across the river next year. "
           "Officials told reporters that the project will cost about 40 million dollars and that work "
           "should start in the spring. Residents have asked for a safer crossing for many years, and "
           "the council voted to approve the plan after a long debate on Thursday evening.")


def spin(text, rate, seed):
    # `unspin.spin` (the function) is shadowed by the `unspin.spin` module once that is imported
    from unspin.spinner import Spinner

    return Spinner(seed=seed).spin(text, rate=rate).spun_text


class Slow:
    model_name = "slow"

    def __init__(self, seconds):
        self.seconds = seconds
        self.started = threading.Event()

    def check(self, text, id=None, threshold=None):
        self.started.set()
        time.sleep(self.seconds)
        return Report(text=text, score=0.0, spun=False, id=id)


class Broken:
    model_name = "broken"

    def check(self, text, id=None, threshold=None):
        raise RuntimeError("secret internal state /etc/passwd")


class ListIndex:
    """A minimal object with `.trace(text, k=)`, standing in for an archive: one match per entry."""

    def __init__(self, docs):
        self.docs = docs

    def trace(self, text, k=5):
        return [{"id": i, "score": 1.0, "coverage": 1.0, "passages": [], "substitutions": [], "metadata": {}}
                for i in self.docs][:k]


@pytest.fixture(scope="module")
def client(default_checker):
    app = create_app(checker=default_checker, warm=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def sensitive(default_checker):
    # the real checker with its span threshold at 0: every proposal becomes a span, so the span contract
    # is exercised whatever the calibrated threshold currently is
    with TestClient(create_app(checker=default_checker, threshold=0.0, warm=False), raise_server_exceptions=False) as c:
        yield c


def small_client(checker, **kw):
    return TestClient(create_app(checker=checker, warm=False, **kw), raise_server_exceptions=False)


def assert_error(r, status):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error", "detail"} and body["error"] and body["detail"]
    assert "Traceback" not in r.text and 'File "' not in r.text
    return body


def assert_report_contract(text, d):
    assert 0.0 <= d["score"] <= 1.0 and isinstance(d["spun"], bool)
    prev_end = 0
    for s in d["spans"]:
        assert prev_end <= s["start"] < s["end"] <= len(text), "spans sorted, not overlapping, inside the text"
        assert text[s["start"]:s["end"]] == s["text"], "spans index the input exactly"
        assert isinstance(s["original"], str) and 0.0 <= s["confidence"] <= 1.0
        prev_end = s["end"]
    spans = [Span(s["start"], s["end"], s["text"], s["original"], s["confidence"]) for s in d["spans"]]
    assert d["restored"] == apply_spans(text, spans), "restored = the input with the spans applied"


# -- contract ------------------------------------------------------------------------------------

def test_health(client):
    r = client.get("/api/health")
    assert r.status_code == 200
    h = r.json()
    assert h["status"] == "ok" and h["model"] == client.app.state.checker.model_name and h["index"] is False
    assert h["version"] == unspin.__version__
    assert h["limits"] == {"max_body": 1_000_000, "max_chars": 100_000, "timeout": 30.0, "threshold": None}


def test_check_matches_the_library_report(client, default_checker):
    text = EXAMPLE.read_text(encoding="utf-8")
    r = client.post("/api/check", json={"text": text})
    assert r.status_code == 200
    assert r.json() == default_checker.check(text).to_dict()
    assert_report_contract(text, r.json())


TEXTS = {"example": lambda: EXAMPLE.read_text(encoding="utf-8"), "spun": lambda: spin(ARTICLE, rate=0.4, seed=3),
         "unicode": lambda: "Café “naïve” – 北京 <b>bold</b>\r\n\ttabs 😀 and emoji said stated."}


@pytest.mark.parametrize("kind", sorted(TEXTS))
def test_spans_index_the_input_and_restored_applies_them(sensitive, kind):
    text = TEXTS[kind]()
    d = sensitive.post("/api/check", json={"text": text}).json()
    assert_report_contract(text, d)


def test_sensitive_checker_really_yields_spans(sensitive):
    # guards the test above against passing vacuously on empty span lists
    text = EXAMPLE.read_text(encoding="utf-8")
    assert sensitive.post("/api/check", json={"text": text}).json()["spans"]


def test_threshold_per_request_overrides_the_servers(client, sensitive, default_checker):
    text = EXAMPLE.read_text(encoding="utf-8")
    assert client.post("/api/check", json={"text": text, "threshold": 0.0}).json() == \
        sensitive.post("/api/check", json={"text": text}).json() == default_checker.check(text, threshold=0.0).to_dict()
    assert sensitive.post("/api/check", json={"text": text, "threshold": 1.0}).json()["spans"] == []
    assert_error(client.post("/api/check", json={"text": text, "threshold": 1.5}), 422)


def test_check_copies_the_id(client):
    d = client.post("/api/check", json={"text": ARTICLE, "id": "doc-7"}).json()
    assert d["id"] == "doc-7"
    assert "id" not in client.post("/api/check", json={"text": ARTICLE}).json()


def test_restore_equals_the_reports_restored(sensitive):
    text = EXAMPLE.read_text(encoding="utf-8")
    restored = sensitive.post("/api/restore", json={"text": text}).json()
    report = sensitive.post("/api/check", json={"text": text}).json()
    assert restored == {"restored": report["restored"]}
    assert restored["restored"] != text  # the sensitive checker changes something


def test_concurrent_requests_get_the_same_answers_as_sequential_ones(sensitive):
    # the one shared checker is used by several worker threads at once
    from concurrent.futures import ThreadPoolExecutor

    texts = [spin(ARTICLE, rate=0.3, seed=s) for s in range(4)] + [ARTICLE]
    alone = [sensitive.post("/api/check", json={"text": t}).json() for t in texts]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda t: sensitive.post("/api/check", json={"text": t}).json(), texts * 3))
    assert together == alone * 3


def test_empty_text_is_a_valid_empty_report(client):
    d = client.post("/api/check", json={"text": ""}).json()
    assert d["score"] == 0 and d["spans"] == [] and d["restored"] == "" and d["spun"] is False


# -- errors --------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [
    {"json": {}},
    {"json": {"text": 42}},
    {"json": ["text"]},
    {"content": b"{not json", "headers": {"content-type": "application/json"}},
])
def test_invalid_requests_are_json_422(client, kwargs):
    body = assert_error(client.post("/api/check", **kwargs), 422)
    assert "text" in body["detail"] or "body" in body["detail"] or "JSON" in body["detail"]


def test_validation_errors_do_not_echo_the_input(client):
    body = assert_error(client.post("/api/trace", json={"text": "<script>x</script>", "k": "<img>"}), 422)
    assert "k" in body["detail"] and "<img>" not in body["detail"]


def test_unknown_route_and_wrong_method_are_json(client):
    assert_error(client.get("/api/nope"), 404)
    assert_error(client.get("/api/check"), 405)


def test_checker_failure_is_json_500_without_trace():
    with small_client(Broken()) as c:
        body = assert_error(c.post("/api/check", json={"text": "anything"}), 500)
    assert "passwd" not in body["detail"] and "RuntimeError" not in body["detail"]


def test_timeout_is_json_504():
    slow = Slow(1.5)
    with small_client(slow, timeout=0.2) as c:
        t0 = time.perf_counter()
        body = assert_error(c.post("/api/check", json={"text": "slow text"}), 504)
        assert time.perf_counter() - t0 < 1.2, "the answer does not wait for the slow check"
    assert "0.2 s" in body["detail"]


def test_too_many_in_flight_is_json_503():
    slow = Slow(1.0)
    with small_client(slow, max_pending=1) as c:
        first = threading.Thread(target=lambda: c.post("/api/check", json={"text": "one"}))
        first.start()
        assert slow.started.wait(5)
        assert_error(c.post("/api/check", json={"text": "two"}), 503)
        first.join()
        assert c.post("/api/check", json={"text": "three"}).status_code == 200  # capacity is given back


# -- limits --------------------------------------------------------------------------------------

def test_body_over_the_limit_by_content_length_is_413(client):
    body = assert_error(client.post("/api/check", content=b"x" * 1_000_001,
                                    headers={"content-type": "application/json"}), 413)
    assert "1,000,000 bytes" in body["detail"]


def test_streamed_body_over_the_limit_is_413_without_content_length(default_checker):
    sent = []

    def chunks():  # a chunked upload declares no length: the bytes themselves must be counted
        for _ in range(50):
            sent.append(1)
            yield b" " * 1000

    with small_client(default_checker, max_body=10_000) as c:
        r = c.post("/api/check", content=chunks(), headers={"content-type": "application/json"})
        assert "content-length" not in r.request.headers
        body = assert_error(r, 413)
    assert "10,000 bytes" in body["detail"]


def test_body_just_under_the_limit_passes(default_checker):
    with small_client(default_checker, max_body=2_000) as c:
        text = "word " * 300  # ~1.5 kB of JSON
        assert c.post("/api/check", json={"text": text}).status_code == 200
        assert_error(c.post("/api/check", json={"text": text * 2}), 413)


def test_text_over_max_chars_is_413_stating_the_limit(default_checker):
    with small_client(default_checker, max_chars=50) as c:
        assert c.post("/api/check", json={"text": "a" * 50}).status_code == 200
        for path in ("/api/check", "/api/restore"):
            body = assert_error(c.post(path, json={"text": "a" * 51}), 413)
            assert "51 characters" in body["detail"] and "limit is 50" in body["detail"]


def test_checker_input_too_large_maps_to_413():
    from unspin.checker import InputTooLarge

    class Refuses:
        model_name = "refuses"

        def check(self, text, id=None, threshold=None):
            raise InputTooLarge("text has 9 characters; the limit is 8")

    with small_client(Refuses()) as c:
        assert "limit is 8" in assert_error(c.post("/api/check", json={"text": "123456789"}), 413)["detail"]


# -- tracing -------------------------------------------------------------------------------------

def test_trace_without_index_is_a_clear_404(client):
    body = assert_error(client.post("/api/trace", json={"text": ARTICLE}), 404)
    assert "--index" in body["detail"]


def test_trace_with_an_index_object_returns_matches(default_checker):
    with small_client(default_checker, index=ListIndex(["a", "b", "c"])) as c:
        assert c.get("/api/health").json()["index"] is True
        assert [m["id"] for m in c.post("/api/trace", json={"text": ARTICLE, "k": 2}).json()["matches"]] == ["a", "b"]
        assert_error(c.post("/api/trace", json={"text": ARTICLE, "k": 0}), 422)
        assert_error(c.post("/api/trace", json={"text": ARTICLE, "k": 51}), 422)


def test_missing_index_fails_at_startup(tmp_path, default_checker):
    with pytest.raises(IndexUnavailable, match="does not exist"):
        create_app(checker=default_checker, index=tmp_path / "none.db", warm=False)
    bogus = tmp_path / "bogus.db"
    bogus.write_text("not an index")
    pytest.importorskip("unspin.trace.index")
    with pytest.raises(IndexUnavailable):
        create_app(checker=default_checker, index=bogus, warm=False)


def test_trace_with_a_real_index_finds_the_source(tmp_path, default_checker):
    trace_index = pytest.importorskip("unspin.trace.index")
    other = ("Heavy rain closed several schools in the north of the country on Tuesday, and the weather "
             "service warned that more storms were expected before the weekend. Farmers said the harvest "
             "had already been delayed by two weeks because the fields were flooded.")
    path = tmp_path / "archive.db"
    idx = trace_index.Index(path)
    idx.add([{"id": "bridge", "text": ARTICLE, "title": "Bridge"}, {"id": "rain", "text": other}])
    idx.close()
    spun = spin(ARTICLE, rate=0.3, seed=1)
    with small_client(default_checker, index=path) as c:
        matches = c.post("/api/trace", json={"text": spun, "k": 2}).json()["matches"]
    assert matches and matches[0]["id"] == "bridge" and matches[0]["metadata"].get("title") == "Bridge"
    for p in matches[0]["passages"]:
        assert p["source_text"] == ARTICLE[p["source_start"]:p["source_end"]]
        assert 0 <= p["query_start"] < p["query_end"] <= len(spun)


# -- the page and the docs -----------------------------------------------------------------------

def test_page_is_served_with_a_strict_csp_and_no_inline_script(client):
    import re

    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", r.text, re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    assert not re.search(r"\son[a-z]+\s*=", r.text), "no inline event handlers"
    for asset in ("/static/app.js", "/static/style.css"):
        assert client.get(asset).status_code == 200


def test_page_script_never_uses_innerhtml():
    js = (Path(unspin.__file__).parent / "web" / "static" / "app.js").read_text(encoding="utf-8")
    code = "\n".join(line for line in js.splitlines() if not line.lstrip().startswith("//"))
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in code


def test_openapi_docs_list_every_endpoint(client):
    spec = client.get("/openapi.json").json()
    assert {"/api/check", "/api/restore", "/api/trace", "/api/health"} <= set(spec["paths"])
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
