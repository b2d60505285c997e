"""`unspin serve` on the command line."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("fastapi")
from unspin.cli import main  # noqa: E402
from unspin.commands.serve import _is_loopback  # noqa: E402


def test_serve_is_registered_with_its_options():
    r = CliRunner().invoke(main, ["serve", "--help"])
    assert r.exit_code == 0
    for opt in ("--host", "--port", "--index", "--model", "--max-body", "--max-chars", "--timeout", "--workers"):
        assert opt in r.output


def test_a_missing_index_is_a_clear_error_before_the_model_loads(tmp_path, monkeypatch):
    import unspin.checker

    def no_load(*a, **k):
        raise AssertionError("the model was loaded before the index was checked")

    monkeypatch.setattr(unspin.checker, "get_checker", no_load)
    r = CliRunner().invoke(main, ["serve", "--index", str(tmp_path / "missing.db"), "--port", "0"])
    assert r.exit_code == 1 and "does not exist" in r.output and "unspin index add" in r.output


@pytest.mark.parametrize("host, loop", [("127.0.0.1", True), ("localhost", True), ("::1", True),
                                        ("0.0.0.0", False), ("192.168.1.4", False), ("example.org", False)])
def test_loopback_detection(host, loop):
    assert _is_loopback(host) is loop


@pytest.mark.slow
def test_unspin_serve_answers_on_loopback(tmp_path):
    httpx = pytest.importorskip("httpx")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = Path(sys.executable).with_name("unspin")
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port), "--max-chars", "500", "--log-level", "warning"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 90
        while True:
            assert proc.poll() is None, proc.stderr.read()
            try:
                health = httpx.get(base + "/api/health", timeout=1).json()
                break
            except httpx.HTTPError:
                assert time.time() < deadline, "server did not start"
                time.sleep(0.3)
        assert health["status"] == "ok" and health["limits"]["max_chars"] == 500
        text = "The officials stated that the information company had issued a press release on Monday."
        d = httpx.post(base + "/api/check", json={"text": text}, timeout=30).json()
        assert 0 <= d["score"] <= 1 and isinstance(d["spans"], list)
        r = httpx.post(base + "/api/check", json={"text": "x" * 501}, timeout=30)
        assert r.status_code == 413 and "limit is 500" in r.json()["detail"]
        assert "<html" in httpx.get(base + "/", timeout=5).text
    finally:
        proc.terminate()
        proc.wait(10)
