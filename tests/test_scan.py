"""unspin scan: formats, columns, errors file, exit codes, resume, local workers (Ray: test_scan_ray.py)."""
from __future__ import annotations

import gzip
import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from click.testing import CliRunner

from unspin.cli import main
from unspin.corpus import steps as steps_module
from unspin.corpus import store as store_module
from unspin.corpus.io import UsageError
from unspin.corpus.scan import scan

SENTENCES = [
    "The minister stated on Thursday that the plan was the best imaginable outcome for the region.",
    "Officials said the new bridge would open next spring after years of delays.",
    "The information company reported that thousands of people attended the rally in the capital.",
    "Residents stated that the storm was the worst imaginable in their final 12 months.",
    "The council voted to approve the budget, which includes money for schools and roads.",
    "Police said the suspect was arrested near the station late on Tuesday night.",
]


def make_docs(n: int, start: int = 0) -> list[dict]:
    docs = []
    for i in range(start, start + n):
        text = " ".join(SENTENCES[(i + k) % len(SENTENCES)] for k in range(1 + i % 3))
        docs.append({"id": f"d{i}", "text": text, "topic": ["politics", "weather"][i % 2],
                     "meta": {"n": i, "tags": ["a", "b"][: i % 3]}})
    return docs


def write_jsonl(path, docs, extra_lines=()):
    lines = [json.dumps(d) for d in docs] + list(extra_lines)
    data = ("\n".join(lines) + "\n").encode()
    if str(path).endswith(".gz"):
        data = gzip.compress(data)
    elif str(path).endswith(".zst"):
        data = zstandard.ZstdCompressor().compress(data)
    with open(path, "wb") as f:
        f.write(data)
    return str(path)


def read_output(path) -> list[dict]:
    path = str(path)
    if path.endswith(".parquet"):
        return pq.read_table(path).to_pylist()
    opener = gzip.open if path.endswith(".gz") else open
    if path.endswith(".zst"):
        with open(path, "rb") as f:
            text = zstandard.ZstdDecompressor().stream_reader(f).read().decode()
    else:
        with opener(path, "rt", encoding="utf-8") as f:
            text = f.read()
    return [json.loads(line) for line in text.splitlines() if line]


def run(inputs, output, **kw):
    kw.setdefault("workers", 1)
    kw.setdefault("model", "ngram")
    kw.setdefault("progress", False)
    return scan(inputs, output, **kw)


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".jsonl.zst", ".parquet"])
def test_every_input_format_gives_the_same_rows(tmp_path, suffix):
    docs = make_docs(7)
    src = tmp_path / f"in{suffix}"
    if suffix == ".parquet":
        pq.write_table(pa.Table.from_pylist(docs), src, row_group_size=3)
    else:
        write_jsonl(src, docs)
    summary = run([str(src)], tmp_path / "out.jsonl", batch_size=3)
    assert (summary.read, summary.written, summary.rejected) == (7, 7, 0)
    assert summary.exit_code == 0
    rows = read_output(tmp_path / "out.jsonl")
    assert [r["id"] for r in rows] == [d["id"] for d in docs]
    for doc, row in zip(docs, rows):
        for k, v in doc.items():  # every input column carried through untouched
            assert row[k] == v
        assert 0.0 <= row["score"] <= 1.0
        assert isinstance(row["spun"], bool)
        assert isinstance(row["n_spans"], int) and row["n_spans"] >= 0
        assert "spans" not in row and "restored" not in row


@pytest.mark.parametrize("output", ["out.parquet", "out.jsonl", "out.jsonl.gz", "out.jsonl.zst"])
def test_output_formats_hold_the_same_results(tmp_path, output):
    src = write_jsonl(tmp_path / "in.jsonl", make_docs(5))
    run([src], tmp_path / "ref.jsonl")
    run([src], tmp_path / output)
    got, ref = read_output(tmp_path / output), read_output(tmp_path / "ref.jsonl")
    assert [(r["id"], r["score"], r["spun"], r["n_spans"], r["topic"]) for r in got] == \
           [(r["id"], r["score"], r["spun"], r["n_spans"], r["topic"]) for r in ref]
    assert not os.path.exists(str(tmp_path / output) + ".parts")  # parts merged and removed


def test_results_match_the_checker(tmp_path):
    from unspin.checker import get_checker

    docs = make_docs(4)
    src = write_jsonl(tmp_path / "in.jsonl", docs)
    run([src], tmp_path / "out.parquet", spans=True, restore=True)
    rows = read_output(tmp_path / "out.parquet")
    checker = get_checker("ngram")
    for doc, row in zip(docs, rows):
        report = checker.check(doc["text"], id=doc["id"])
        assert row["score"] == pytest.approx(report.score, abs=1e-6)
        assert row["spun"] == report.spun
        assert row["n_spans"] == len(report.spans) == len(json.loads(row["spans"]))
        assert row["restored"] == report.restored
        for s in json.loads(row["spans"]):  # offsets index the input text
            assert doc["text"][s["start"] : s["end"]] == s["text"]


def test_malformed_rows_go_to_the_errors_file(tmp_path):
    docs = make_docs(4)
    bad = ["{not json", json.dumps({"id": "x", "body": "no text field"}), json.dumps([1, 2]),
           json.dumps({"id": "big", "text": "word " * 250_000})]  # over the checker's max_chars
    src = write_jsonl(tmp_path / "in.jsonl", docs[:2], extra_lines=bad[:2])
    with open(src, "ab") as f:
        f.write(b"\xff\xfe broken utf-8\n")
        f.write(("\n".join([json.dumps(d) for d in docs[2:]] + bad[2:]) + "\n").encode())
    summary = run([src], tmp_path / "out.parquet")
    assert (summary.read, summary.written, summary.rejected) == (9, 4, 5)
    assert summary.read == summary.written + summary.rejected
    assert summary.exit_code == 3
    errors = read_output(tmp_path / "out.errors.jsonl")
    assert [e["line"] for e in errors] == [3, 4, 5, 8, 9]
    assert all(e["file"] == src and e["error"] for e in errors)
    assert "invalid JSON" in errors[0]["error"] and "'text'" in errors[1]["error"]
    assert "UTF-8" in errors[2]["error"] and "not a JSON object" in errors[3]["error"]
    assert "InputTooLarge" in errors[4]["error"]
    assert [r["id"] for r in read_output(tmp_path / "out.parquet")] == ["d0", "d1", "d2", "d3"]
    # a clean rerun removes the stale errors file
    clean = write_jsonl(tmp_path / "in.jsonl", docs)
    assert run([clean], tmp_path / "out.parquet").exit_code == 0
    assert not (tmp_path / "out.errors.jsonl").exists()


def test_parquet_output_widens_its_schema(tmp_path):
    # a column null in the first batch and text later; a column that appears only in a later file
    a = [{"id": 1, "text": SENTENCES[0], "tag": None}, {"id": 2, "text": SENTENCES[1], "tag": None},
         {"id": 3, "text": SENTENCES[2], "tag": "late"}]
    b = [{"id": 4, "text": SENTENCES[3], "tag": "x", "extra": 1.5}]
    fa, fb = write_jsonl(tmp_path / "a.jsonl", a), write_jsonl(tmp_path / "b.jsonl", b)
    summary = run([fa, fb], tmp_path / "out.parquet", batch_size=2)
    assert summary.rejected == 0
    rows = read_output(tmp_path / "out.parquet")
    assert [(r["id"], r["tag"], r["extra"]) for r in rows] == [(1, None, None), (2, None, None), (3, "late", None),
                                                               (4, "x", 1.5)]


def test_parquet_rejects_rows_it_cannot_type_but_jsonl_keeps_them(tmp_path):
    docs = [{"id": 1, "text": SENTENCES[0], "n": 5}, {"id": 2, "text": SENTENCES[1], "n": "five"}]
    src = write_jsonl(tmp_path / "in.jsonl", docs)
    summary = run([src], tmp_path / "out.parquet")
    assert (summary.written, summary.rejected) == (1, 1)
    assert "schema" in read_output(tmp_path / "out.errors.jsonl")[0]["error"]
    assert run([src], tmp_path / "out.jsonl").rejected == 0


def test_inputs_as_globs_and_folders_and_folder_output(tmp_path):
    (tmp_path / "in" / "sub").mkdir(parents=True)
    write_jsonl(tmp_path / "in" / "a.jsonl", make_docs(3))
    write_jsonl(tmp_path / "in" / "sub" / "b.jsonl.gz", make_docs(2, start=3))
    (tmp_path / "in" / "notes.txt").write_text("ignored in folders")
    s1 = run([str(tmp_path / "in")], tmp_path / "shards")
    s2 = run([str(tmp_path / "in" / "**" / "*.jsonl*")], tmp_path / "one.jsonl")
    assert s1.read == s2.read == 5 and s1.shards == 2
    shard_files = sorted(p for p in os.listdir(tmp_path / "shards") if p.endswith(".parquet"))
    assert len(shard_files) == 2
    import pyarrow.dataset as ds  # the _unspin state folder is invisible to dataset readers

    table = ds.dataset(str(tmp_path / "shards"), format="parquet").to_table()
    assert sorted(table.column("id").to_pylist()) == sorted(r["id"] for r in read_output(tmp_path / "one.jsonl"))


def test_resume_after_an_interrupted_run(tmp_path, monkeypatch):
    files = [write_jsonl(tmp_path / f"part{i}.jsonl", make_docs(4, start=4 * i)) for i in range(3)]
    run(files, tmp_path / "ref.parquet")

    calls = {"n": 0}
    real = steps_module._check_row

    def crash_in_second_shard(checker, record, **kw):
        calls["n"] += 1
        if record["id"] == "d6":
            raise KeyboardInterrupt  # the process dies in the middle of shard 2
        return real(checker, record, **kw)

    monkeypatch.setattr(steps_module, "_check_row", crash_in_second_shard)
    with pytest.raises(KeyboardInterrupt):
        run(files, tmp_path / "out.parquet", batch_size=1)
    parts = tmp_path / "out.parquet.parts"
    assert not (tmp_path / "out.parquet").exists()  # nothing that looks complete
    done = sorted(p for p in os.listdir(parts) if p.endswith(".done.json"))
    assert len(done) == 1 and done[0].startswith("part0-")
    assert not [p for p in os.listdir(parts) if p.startswith("part1-") and p.endswith(".parquet")]

    calls["n"] = 0
    monkeypatch.setattr(steps_module, "_check_row", lambda c, r, **kw: (calls.__setitem__("n", calls["n"] + 1),
                                                                        real(c, r, **kw))[1])
    summary = run(files, tmp_path / "out.parquet", batch_size=1)
    assert summary.skipped_shards == 1 and calls["n"] == 8  # only shards 2 and 3 checked again
    assert (summary.read, summary.written) == (12, 12)
    assert read_output(tmp_path / "out.parquet") == read_output(tmp_path / "ref.parquet")
    assert not parts.exists()


def test_resume_redoes_a_shard_whose_input_or_options_changed(tmp_path):
    f = write_jsonl(tmp_path / "a.jsonl", make_docs(3))
    g = write_jsonl(tmp_path / "b.jsonl", make_docs(2, start=3))
    assert run([f, g], tmp_path / "shards").skipped_shards == 0
    assert run([f, g], tmp_path / "shards").skipped_shards == 2
    write_jsonl(g, make_docs(3, start=3))  # the input grew
    s = run([f, g], tmp_path / "shards")
    assert (s.skipped_shards, s.read, s.written) == (1, 6, 6)
    s = run([f, g], tmp_path / "shards", restore=True)  # other options: other results
    assert s.skipped_shards == 0
    assert all("restored" in r for p in os.listdir(tmp_path / "shards") if p.endswith(".parquet")
               for r in read_output(tmp_path / "shards" / p))


def test_a_failed_commit_leaves_no_complete_looking_file(tmp_path, monkeypatch):
    f = write_jsonl(tmp_path / "a.jsonl", make_docs(3))

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(store_module, "_atomic_write_text", boom)
    with pytest.raises(OSError):
        run([f], tmp_path / "shards")
    state = tmp_path / "shards" / "_unspin"
    assert not [p for p in os.listdir(state) if p.endswith(".done.json")]
    monkeypatch.undo()
    assert run([f], tmp_path / "shards").skipped_shards == 0


def test_two_workers_match_one(tmp_path):
    # workers parse the raw lines themselves: malformed lines must land in the errors file just the same
    files = [write_jsonl(tmp_path / f"p{i}.jsonl", make_docs(6, start=6 * i), extra_lines=["{broken", "[1]"])
             for i in range(2)]
    pq.write_table(pa.Table.from_pylist(make_docs(3, start=12)), tmp_path / "p2.parquet")
    files.append(str(tmp_path / "p2.parquet"))
    one = run(files, tmp_path / "one.parquet", batch_size=2)
    s = run(files, tmp_path / "two.parquet", batch_size=2, workers=2)
    assert s.workers == 2 and (s.read, s.written, s.rejected) == (one.read, one.written, one.rejected) == (19, 15, 4)
    assert read_output(tmp_path / "two.parquet") == read_output(tmp_path / "one.parquet")
    assert read_output(tmp_path / "two.errors.jsonl") == read_output(tmp_path / "one.errors.jsonl")


class _DyingCheck(steps_module.CheckStep):
    """A check step whose worker process dies (as if killed) on the document with id 'die'."""

    def run_batch(self, items):
        if any(i.record is not None and i.record.get("id") == "die" for i in items):
            os._exit(9)
        return super().run_batch(items)


class _FailingCheck(steps_module.CheckStep):
    def run_batch(self, items):
        raise RuntimeError("bug in the check step")


@pytest.mark.parametrize("step, error", [(_DyingCheck, "worker died"), (_FailingCheck, "bug in the check step")])
def test_a_dead_or_failing_worker_stops_the_run_with_an_error(tmp_path, step, error):
    from unspin.corpus.local import LocalExecutor
    from unspin.corpus.steps import ReadStep, Shard

    docs = make_docs(6) + [{"id": "die", "text": SENTENCES[0]}] + make_docs(6, start=6)
    src = write_jsonl(tmp_path / "in.jsonl", docs)
    executor = LocalExecutor(workers=2)
    with pytest.raises(RuntimeError, match=error):
        for _ in executor.run([Shard.of(0, src)], ReadStep(), step(model="ngram"), batch_size=1):
            pass


def test_usage_errors(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", make_docs(1))
    (tmp_path / "in.csv").write_text("id,text\n")
    with pytest.raises(UsageError):
        run([str(tmp_path / "missing.jsonl")], tmp_path / "out.parquet")
    with pytest.raises(UsageError):
        run([str(tmp_path / "in.csv")], tmp_path / "out.parquet")
    with pytest.raises(UsageError):
        run([src], tmp_path / "out.csv")
    with pytest.raises(UsageError):
        run([src], tmp_path / "out.parquet", engine="spark")


def test_cli_exit_codes_and_summary(tmp_path):
    good = write_jsonl(tmp_path / "good.jsonl", make_docs(3))
    bad = write_jsonl(tmp_path / "bad.jsonl", make_docs(2), extra_lines=["{oops"])
    runner = CliRunner()
    r = runner.invoke(main, ["scan", good, "-o", str(tmp_path / "g.parquet"), "--model", "ngram", "--workers", "1",
                             "--json", "--no-progress"])
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert (summary["read"], summary["written"], summary["rejected"]) == (3, 3, 0)
    assert "read 3, written 3" in r.stderr
    r = runner.invoke(main, ["scan", bad, "-o", str(tmp_path / "b.jsonl"), "--model", "ngram", "--workers", "1",
                             "--no-progress", "--spans", "--restore"])
    assert r.exit_code == 3
    assert "rejected 1" in r.stderr and os.path.exists(tmp_path / "b.errors.jsonl")
    assert {"spans", "restored"} <= set(read_output(tmp_path / "b.jsonl")[0])
    for args in (["scan", str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "x.parquet")],
                 ["scan", good, "-o", str(tmp_path / "x.txt")],
                 ["scan", good],
                 ["scan", good, "-o", str(tmp_path / "x.parquet"), "--workers", "0"]):
        assert runner.invoke(main, args).exit_code == 2, args


def test_an_output_folder_inside_the_input_folder_is_not_read_back(tmp_path):
    (tmp_path / "data").mkdir()
    write_jsonl(tmp_path / "data" / "a.jsonl", make_docs(3))
    first = run([str(tmp_path / "data")], tmp_path / "data" / "scored", shard_format=".jsonl")
    second = run([str(tmp_path / "data")], tmp_path / "data" / "scored", shard_format=".jsonl")
    assert first.shards == second.shards == 1 and second.skipped_shards == 1
    for out in ("scored", "scored.jsonl"):
        data = tmp_path / f"data-{out}"
        data.mkdir()
        write_jsonl(data / "a.jsonl", make_docs(3))
        write_jsonl(data / "b.jsonl", make_docs(1), extra_lines=["{bad"])
        run([str(data)], data / out)
        again = run([str(data)], data / out)
        assert (again.shards, again.read, again.rejected) == (2, 5, 1)


def test_parquet_rows_are_gathered_into_row_groups(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", make_docs(10))
    run([src], tmp_path / "out.parquet", batch_size=1)
    assert pq.ParquetFile(tmp_path / "out.parquet").metadata.num_row_groups == 1
