"""CLI contract of `unspin spin` and `unspin eval` (click.testing.CliRunner)."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import unspin.checker
from unspin.cli import main
from unspin.report import Report, Span

DOCS = [
    {"id": "d1", "text": "The council said it would move the market to a larger square near the river.", "topic": "x"},
    {"id": "d2", "text": "Farmers welcomed the plan and said the new location would give them more space."},
    {"id": "d3", "text": "Several residents worried about traffic and noise in the narrow streets nearby."},
]


class FakeChecker:
    """Flags a fixed set of words (a test double for the model: the CLI contract must not depend on
    the model's quality)."""

    max_chars = 10_000
    SWAPS = {"stated": "said", "automobile": "car"}

    def check(self, text: str, id=None, threshold=None) -> Report:
        spans = []
        for word, original in self.SWAPS.items():
            i = text.find(word)
            if i >= 0:
                spans.append(Span(i, i + len(word), word, original, 0.9))
        return Report(text, 0.8 if spans else 0.1, bool(spans), spans, id=id)


@pytest.fixture
def fake_checker(monkeypatch):
    monkeypatch.setattr(unspin.checker, "get_checker", lambda model="default", entities="fast": FakeChecker())


def write_jsonl(path, rows, bad_line: str | None = None):
    lines = [json.dumps(r) for r in rows]
    if bad_line is not None:
        lines.insert(1, bad_line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_spin_a_file_is_reproducible(tmp_path):
    f = tmp_path / "doc.txt"
    f.write_text(DOCS[0]["text"] + "\n", encoding="utf-8")
    runner = CliRunner()
    a = runner.invoke(main, ["spin", str(f), "--rate", "0.5", "--seed", "3"])
    b = runner.invoke(main, ["spin", "-", "--rate", "0.5", "--seed", "3"], input=DOCS[0]["text"] + "\n")
    assert a.exit_code == 0 and b.exit_code == 0
    assert a.stdout == b.stdout != DOCS[0]["text"] + "\n"
    assert a.stdout.startswith("The ") and a.stdout.endswith(".\n") and not a.stdout.endswith("\n\n")


def test_spin_jsonl_keeps_other_keys_and_reports_bad_lines(tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", DOCS, bad_line="{not json")
    result = CliRunner().invoke(main, ["spin", "--jsonl", path, "--rate", "0.4"])
    assert result.exit_code == 3
    assert f"{path}:2:" in result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["d1", "d2", "d3"]
    assert rows[0]["topic"] == "x"
    assert any(r["text"] != d["text"] for r, d in zip(rows, DOCS))


def test_spin_pairs_feed_eval(tmp_path, fake_checker):
    docs = write_jsonl(tmp_path / "in.jsonl", DOCS)
    pairs = tmp_path / "pairs.jsonl"
    runner = CliRunner()
    spun = runner.invoke(main, ["spin", "--jsonl", docs, "--pairs", str(pairs), "--rate", "0.4"])
    assert spun.exit_code == 0, spun.stderr
    assert spun.stdout == ""
    rows = [json.loads(line) for line in pairs.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["d1", "d2", "d3"]
    assert all(r["kind"] == "synthetic" and r["orig_text"] == d["text"] for r, d in zip(rows, DOCS))
    result = runner.invoke(main, ["eval", str(pairs), "--clean", docs, "--json"])
    assert result.exit_code == 0, result.stderr
    figures = json.loads(result.stdout)
    assert list(figures["columns"]) == ["synthetic"]  # synthetic pairs never make an "all" of real kinds
    col = figures["columns"]["synthetic"]
    assert col["n_pairs"] == 3 and col["n_clean"] == 3
    assert col["detection"]["n_pos"] == 3 and col["detection"]["n_neg"] == 6
    assert col["restoration"]["substitutions"] > 0


def test_eval_table_and_bad_lines(tmp_path, fake_checker):
    pairs = [
        {"id": "p1", "kind": "thesaurus", "spun_text": "The police stated the automobile was fast.",
         "orig_text": "The police said the car was fast."},
        {"id": "p2", "kind": "synthetic", "spun_text": "The automobile was red.", "orig_text": "The car was red."},
    ]
    path = write_jsonl(tmp_path / "pairs.jsonl", pairs, bad_line='{"id": "x", "spun_text": "no original"}')
    result = CliRunner().invoke(main, ["eval", path])
    assert result.exit_code == 3
    assert f"{path}:2: missing or non-string 'orig_text' field" in result.stderr
    for word in ("thesaurus", "all", "synthetic", "ROC AUC", "restored exact", "Brier score", "Reliability"):
        assert word in result.stdout


def test_eval_cv_uses_cross_validated_reports(tmp_path, monkeypatch):
    import unspin.training

    calls = []

    def fake_cv(pairs, clean, model, k):
        calls.append((len(pairs), len(clean), model, k))
        fc = FakeChecker()
        return ([fc.check(p["spun_text"]) for p in pairs], [fc.check(p["orig_text"]) for p in pairs],
                [fc.check(d["text"]) for d in clean])

    monkeypatch.setattr(unspin.training, "cross_validated_reports", fake_cv, raising=False)
    path = write_jsonl(tmp_path / "pairs.jsonl", [
        {"id": "p1", "kind": "thesaurus", "spun_text": "He stated it.", "orig_text": "He said it."}])
    result = CliRunner().invoke(main, ["eval", path, "--cv", "3", "--model", "ngram", "--json"])
    assert result.exit_code == 0, result.stderr
    assert calls == [(1, 0, "ngram", 3)]
    assert json.loads(result.stdout)["cv"] == 3


def test_eval_rejects_one_fold_and_missing_file(tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["eval", str(tmp_path / "none.jsonl"), "--cv", "1"]).exit_code == 2
    missing = runner.invoke(main, ["eval", str(tmp_path / "none.jsonl")])
    assert missing.exit_code == 1 and "none.jsonl" in missing.stderr


@pytest.mark.slow
def test_spin_pairs_feed_eval_with_the_shipped_model(tmp_path):
    docs = write_jsonl(tmp_path / "in.jsonl", DOCS)
    pairs = tmp_path / "pairs.jsonl"
    runner = CliRunner()
    assert runner.invoke(main, ["spin", "--jsonl", docs, "--pairs", str(pairs)]).exit_code == 0
    result = runner.invoke(main, ["eval", str(pairs), "--clean", docs, "--json"])
    assert result.exit_code == 0, result.stderr
    col = json.loads(result.stdout)["columns"]["synthetic"]
    assert col["n_pairs"] == 3 and 0.0 <= col["detection"]["fpr"] <= 1.0


def test_eval_skips_texts_over_the_checker_limit(tmp_path, fake_checker):
    pairs = [{"id": "big", "kind": "thesaurus", "spun_text": "word " * 3000, "orig_text": "word " * 3000},
             {"id": "ok", "kind": "thesaurus", "spun_text": "He stated it.", "orig_text": "He said it."}]
    path = write_jsonl(tmp_path / "pairs.jsonl", pairs)
    result = CliRunner().invoke(main, ["eval", path, "--json"])
    assert result.exit_code == 3
    assert f"{path}:1: 'spun_text' has 15,000 characters" in result.stderr
    assert json.loads(result.stdout)["columns"]["all"]["n_pairs"] == 1
