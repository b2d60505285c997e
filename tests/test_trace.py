"""Tracing: fingerprint stability under spinning, alignment offsets, the index contract, bad input,
crash safety and the CLI/JSON contract. Texts are written here (no real data in tests)."""
from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from unspin.cli import main
from unspin.report import Report
from unspin.trace import Index, IndexError_, QueryTooLarge, TokenSeq, align, restore_by_alignment
from unspin.trace.fingerprint import Fingerprinter

STORM = (
    "A large tornado moved over a town in Oklahoma on Wednesday night, and more storms are possible across "
    "the region, the National Weather Service said. Emergency officials confirmed that the tornado was over "
    "Cole and moving east at 30 mph. Trooper Eric Foster said hundreds of first responders were at the scene "
    "and that there was major damage to roads and power lines. He did not have immediate information about "
    "possible injuries. The McClain County Sheriff's Office posted on Facebook that it was responding to "
    "reports of people trapped in their shelters, and that power lines were down across the county."
)
BUDGET = (
    "The city council approved a new budget on Tuesday after a long debate about school funding. The mayor "
    "said the plan would raise spending on parks by 12 percent while cutting administrative costs. Several "
    "residents spoke against the proposal, arguing that property taxes were already too high. The council "
    "voted 7 to 2 in favour, and the budget will take effect in July, according to a statement."
)
FOOTBALL = (
    "Manchester United beat Liverpool 2-1 at Old Trafford on Sunday, with a late goal from Marcus Rashford. "
    "The manager praised his players for their effort and said the team had finally found its rhythm. "
    "Liverpool remain third in the table, four points behind the leaders, with eight games left to play."
)
# what a thesaurus spinner does to STORM: word and phrase swaps, names and numbers untouched
SWAPS = {"large": "big", "moved": "traveled", "possible": "imaginable", "region": "area", "said": "stated",
         "confirmed": "showed", "moving": "transferring", "hundreds": "masses", "major": "main",
         "damage": "harm", "immediate": "rapid", "information": "data", "posted": "published",
         "responding": "replying", "reports": "stories", "trapped": "stuck", "across": "throughout"}


def spin_by_hand(text: str, swaps=SWAPS) -> str:
    return re.sub(r"\b\w+\b", lambda m: swaps.get(m.group(), m.group()), text)


SPUN_STORM = spin_by_hand(STORM)


@pytest.fixture(scope="module")
def fingerprinter():
    return Fingerprinter()


@pytest.fixture()
def index(tmp_path):
    idx = Index(tmp_path / "archive.db")
    idx.add([{"id": "storm", "text": STORM, "outlet": "wire"}, {"id": "budget", "text": BUDGET},
             {"id": "football", "text": FOOTBALL}])
    yield idx
    idx.close()


# -- fingerprints --------------------------------------------------------------------------------
def _overlap(a: set, b: set) -> float:
    return len(a & b) / max(1, len(a))


def test_fingerprints_survive_spinning(fingerprinter):
    orig, spun, other = (fingerprinter.fingerprint(t) for t in (STORM, SPUN_STORM, BUDGET))
    assert SPUN_STORM != STORM
    assert _overlap(spun.content, orig.content) >= 0.9  # names, numbers, rare words untouched
    assert _overlap(spun.grams, orig.grams) >= 0.6  # anchor n-grams skip the swapped words
    assert _overlap(spun.hashes, other.hashes) < 0.1
    # a plain word 5-gram shingle set does far worse on the same pair
    def shingles(t):
        w = re.findall(r"\w+", t.lower())
        return {tuple(w[i : i + 5]) for i in range(len(w) - 4)}
    assert _overlap(shingles(SPUN_STORM), shingles(STORM)) < _overlap(spun.grams, orig.grams) - 0.2


@pytest.mark.slow
def test_fingerprints_survive_reference_spinner(fingerprinter):
    from unspin.spinner import Spinner

    spun = Spinner(seed=3).spin(STORM + " " + BUDGET, rate=0.5).spun_text
    a, b = fingerprinter.fingerprint(STORM + " " + BUDGET), fingerprinter.fingerprint(spun)
    assert _overlap(b.hashes, a.hashes) >= 0.5


TINY_LEXICON = ("from types import SimpleNamespace as N; import sys; "
                "sys.modules['unspin.lexicon.inflect'] = N(getAllLemmas=lambda w: {}, getAllInflections=lambda *a, **k: {}, getInflection=lambda *a, **k: ()); "  # no spaCy import in the child
                "LEX = N(thesaurus=N(table={'said': [], 'large': [], 'plan': []}), grammar={}, phrase_table={})")


def test_fingerprint_hashes_are_stable_across_processes():
    # hashing must not depend on the process (Python's hash() is salted); a tiny lexicon keeps it fast
    code = (TINY_LEXICON + "; from unspin.trace.fingerprint import Fingerprinter; import sys; "
            "print(sorted(Fingerprinter(lexicon=LEX).fingerprint(sys.argv[1]).hashes))")
    outs = [subprocess.run([sys.executable, "-c", code, BUDGET], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")]
    assert outs[0] == outs[1] and len(json.loads(outs[0])) > 20


# -- alignment -----------------------------------------------------------------------------------
def test_alignment_offsets_and_substitutions():
    al = align(TokenSeq.of(SPUN_STORM), TokenSeq.of(STORM), SPUN_STORM, STORM)
    assert al.coverage > 0.9 and al.source_coverage > 0.9
    pairs = {(s.query_text, s.source_text) for s in al.substitutions}
    assert ("stated", "said") in pairs and ("transferring", "moving") in pairs
    for s in al.substitutions:
        assert SPUN_STORM[s.query_start : s.query_end] == s.query_text
        assert STORM[s.source_start : s.source_end] == s.source_text
    for p in al.passages:
        assert 0 <= p.query_start < p.query_end <= len(SPUN_STORM)
        assert 0 <= p.source_start < p.source_end <= len(STORM)
    assert al.substitutions == sorted(al.substitutions, key=lambda s: s.query_start)


def test_alignment_of_unrelated_texts_is_empty():
    al = align(TokenSeq.of(BUDGET), TokenSeq.of(FOOTBALL), BUDGET, FOOTBALL)
    assert al.passages == [] and al.coverage == 0


def test_alignment_finds_moved_paragraphs():
    first, second = STORM.split(". Emergency")
    moved = "Emergency" + second + " " + first + "."
    al = align(TokenSeq.of(moved), TokenSeq.of(STORM), moved, STORM)
    assert len(al.passages) >= 2 and al.coverage > 0.9


# -- the index -----------------------------------------------------------------------------------
def test_trace_finds_source_with_offsets(index):
    matches = index.trace(SPUN_STORM, k=3)
    top = matches[0]
    assert top.id == "storm" and top.score > 0.8 and top.coverage > 0.9
    assert top.metadata == {"outlet": "wire"}
    assert all(m.score <= top.score for m in matches)
    d = top.to_dict()
    assert set(d) >= {"id", "score", "coverage", "passages", "substitutions", "metadata"}
    for s in d["substitutions"]:
        assert SPUN_STORM[s["query_start"] : s["query_end"]] == s["query_text"]
        assert set(s) >= {"query_start", "query_end", "query_text", "source_text"}
    for p in d["passages"]:
        assert set(p) == {"query_start", "query_end", "source_start", "source_end"}


def test_restore_by_alignment_gives_source_wording(index):
    match, spans = restore_by_alignment(index, SPUN_STORM)
    assert match.id == "storm"
    report = Report(SPUN_STORM, 1.0, True, spans)
    assert report.restored == STORM
    assert all(0 < s.confidence <= 1 and s.evidence["source_id"] == "storm" for s in spans)
    assert restore_by_alignment(index, FOOTBALL[:60] + " unrelated words here.", min_coverage=0.9) == (None, [])


def test_readd_replaces_and_remove(index):
    assert len(index) == 3
    index.add([{"id": "storm", "text": BUDGET + " An extra closing line for this copy."}])
    assert len(index) == 3 and index.get("storm")["text"].startswith("The city council")
    assert not any(m.id == "storm" and m.score > 0.5 for m in index.trace(SPUN_STORM))
    assert index.remove(["storm", "nope"]) == 1
    assert "storm" not in index and len(index) == 2
    n_post = index.db.execute("SELECT count(*) FROM postings").fetchone()[0]
    assert n_post == len(set().union(*(Fingerprinter().fingerprint(t).hashes for t in (BUDGET, FOOTBALL))) |
                         set()) or n_post > 0  # postings of removed documents are gone:
    orphans = index.db.execute("SELECT count(*) FROM postings WHERE docno NOT IN (SELECT docno FROM docs)").fetchone()[0]
    assert orphans == 0


def test_fingerprints_only_index(tmp_path):
    idx = Index(tmp_path / "fp.db", keep_text=False)
    idx.add([{"id": "storm", "text": STORM}, {"id": "budget", "text": BUDGET}])
    idx.close()
    idx = Index(tmp_path / "fp.db", create=False)
    assert idx.get("storm")["text"] is None
    top = idx.trace(SPUN_STORM)[0]
    assert top.id == "storm" and top.coverage > 0.9
    assert all(s.source_text is None and SPUN_STORM[s.query_start : s.query_end] == s.query_text
               for s in top.substitutions)


def test_empty_and_huge_queries(index, monkeypatch):
    assert index.trace("") == [] and index.trace("  \n ") == [] and index.trace("... !!") == []
    monkeypatch.setattr("unspin.trace.index.MAX_QUERY_CHARS", 1000)
    with pytest.raises(QueryTooLarge, match="larger than"):
        index.trace("word " * 300)


def test_long_query_is_windowed(index, monkeypatch):
    monkeypatch.setattr("unspin.trace.index.WINDOW_TOKENS", 40)
    query = BUDGET + " " + SPUN_STORM
    top = index.trace(query, k=2)
    assert {m.id for m in top} == {"storm", "budget"}
    for m in top:
        for s in m.substitutions:
            assert query[s.query_start : s.query_end] == s.query_text


# -- bad index files -----------------------------------------------------------------------------
def test_missing_index_is_not_created(tmp_path):
    path = tmp_path / "none.db"
    for kwargs in ({"create": False}, {"create": False, "readonly": True}):
        with pytest.raises(IndexError_, match="no such index"):
            Index(path, **kwargs)
    assert not path.exists()


def test_not_an_index(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("just some notes\n" * 100)
    with pytest.raises(IndexError_, match="not an unspin index"):
        Index(text, create=False)
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t(x)")
    con.commit()
    con.close()
    with pytest.raises(IndexError_, match="not an unspin index"):
        Index(other)
    assert text.read_text().startswith("just some notes")


def test_corrupt_index(tmp_path):
    path = tmp_path / "c.db"
    idx = Index(path)
    idx.add([{"id": f"d{i}", "text": STORM + f" Copy {i}."} for i in range(40)])
    idx.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    idx.close()
    data = bytearray(path.read_bytes())
    page = 4096
    data[page * 2 : page * 6] = os.urandom(page * 4)
    path.write_bytes(bytes(data))
    with pytest.raises(IndexError_):
        with Index(path, create=False) as idx:
            idx.trace(SPUN_STORM)


CHILD = textwrap.dedent("""
    import sys
    from unspin.trace import Index
    idx = Index(sys.argv[1])
    text = sys.argv[2]
    for b in range(10_000):
        docs = [{"id": f"b{b}-{i}", "text": text + f" Batch {b} item {i}."} for i in range(20)]
        idx.add(docs, batch_size=20)
        print(" ".join(d["id"] for d in docs), flush=True)
""")


def test_kill_during_build_keeps_committed_documents(tmp_path):
    path = tmp_path / "crash.db"
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(path), STORM], stdout=subprocess.PIPE, text=True)
    committed = []
    for line in proc.stdout:
        committed += line.split()
        if len(committed) >= 200:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with Index(path, create=False) as idx:
        assert idx.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        n = len(idx)
        assert n >= len(committed) and n % 20 == 0  # whole batches only
        for doc_id in committed:
            doc = idx.get(doc_id)
            assert doc is not None and doc["text"].startswith(STORM)
        assert idx.trace(SPUN_STORM)[0].coverage > 0.9
        orphans = idx.db.execute("SELECT count(*) FROM postings WHERE docno NOT IN (SELECT docno FROM docs)").fetchone()[0]
        assert orphans == 0


# -- CLI -----------------------------------------------------------------------------------------
def _runner():
    return CliRunner()


def test_cli_add_stats_trace_remove(tmp_path):
    docs = tmp_path / "docs.jsonl"
    docs.write_text("\n".join([json.dumps({"id": "storm", "text": STORM, "outlet": "wire"}),
                               "{not json", json.dumps({"text": "no id"}),
                               json.dumps({"id": "budget", "text": BUDGET})]) + "\n")
    db = str(tmp_path / "a.db")
    r = _runner().invoke(main, ["index", "add", db, str(docs)])
    assert r.exit_code == 3
    assert "docs.jsonl:2:" in r.stderr and "docs.jsonl:3:" in r.stderr
    r = _runner().invoke(main, ["index", "stats", db, "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["documents"] == 2
    q = tmp_path / "q.txt"
    q.write_text(SPUN_STORM)
    r = _runner().invoke(main, ["trace", db, str(q), "--json", "-k", "1"])
    assert r.exit_code == 0
    out = json.loads(r.stdout)
    assert len(out["matches"]) == 1 and out["matches"][0]["id"] == "storm"
    assert out["matches"][0]["metadata"] == {"outlet": "wire"}
    r = _runner().invoke(main, ["trace", db, "-"], input=SPUN_STORM)
    assert r.exit_code == 0 and "storm" in r.stdout and "score" in r.stdout
    queries = tmp_path / "q.jsonl"
    queries.write_text(json.dumps({"id": "q1", "text": SPUN_STORM}) + "\n" + json.dumps({"id": "q2", "text": ""}) + "\n")
    r = _runner().invoke(main, ["trace", db, "--jsonl", str(queries)])
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert r.exit_code == 0 and [x["id"] for x in lines] == ["q1", "q2"]
    assert lines[0]["matches"][0]["id"] == "storm" and lines[1]["matches"] == []
    r = _runner().invoke(main, ["index", "remove", db, "storm", "ghost"])
    assert r.exit_code == 3 and "ghost" in r.stderr
    r = _runner().invoke(main, ["trace", db, str(q), "--json"])
    assert all(m["id"] != "storm" for m in json.loads(r.stdout)["matches"])


def test_cli_bad_index_paths(tmp_path):
    missing = str(tmp_path / "missing.db")
    for args in (["trace", missing, "-"], ["index", "stats", missing], ["index", "remove", missing, "x"]):
        r = _runner().invoke(main, args, input="text")
        assert r.exit_code == 1 and "no such index" in r.stderr
    assert not os.path.exists(missing)
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    r = _runner().invoke(main, ["index", "stats", str(notes)])
    assert r.exit_code == 1 and "not an unspin index" in r.stderr


def test_parallel_add_matches_serial(tmp_path):
    docs = [{"id": f"d{i}", "text": t + f" Item {i}."} for i, t in enumerate([STORM, BUDGET, FOOTBALL] * 4)]
    docs.append({"id": "d0", "text": FOOTBALL})  # a repeated id in one batch: the last version wins
    a, b = Index(tmp_path / "a.db"), Index(tmp_path / "b.db")
    assert a.add(docs, batch_size=5) == b.add(docs, batch_size=5, workers=2)
    q = "SELECT d.id, p.hash FROM postings p JOIN docs d USING (docno) ORDER BY 1, 2"
    assert a.db.execute(q).fetchall() == b.db.execute(q).fetchall()
    assert a.get("d0")["text"] == FOOTBALL and len(a) == 12
