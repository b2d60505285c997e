"""unspin scan on a real Ray cluster (local, num_cpus=2, started by the test) against the local executor."""
from __future__ import annotations

import json
import os

import pytest

from test_scan import make_docs, read_output, run, write_jsonl

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.mark.slow
def test_ray_writes_the_same_rows_as_local_and_resumes(tmp_path, cluster):
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = [write_jsonl(tmp_path / "a.jsonl", make_docs(5), extra_lines=["{broken"]),
             write_jsonl(tmp_path / "b.jsonl.gz", make_docs(4, start=5)),
             write_jsonl(tmp_path / "c.jsonl.zst", [])]
    pq.write_table(pa.Table.from_pylist(make_docs(3, start=9)), tmp_path / "d.parquet")
    files.append(str(tmp_path / "d.parquet"))
    local = run(files, tmp_path / "local", workers=1, batch_size=2, spans=True, restore=True)
    # the first two shards come from an earlier, interrupted local run (resume is executor-independent)
    run(files[:2], tmp_path / "ray", workers=1, batch_size=2, spans=True, restore=True)
    os.remove(tmp_path / "ray" / [p for p in os.listdir(tmp_path / "ray") if p.startswith("b-")][0])
    s = run(files, tmp_path / "ray", engine="ray", workers=2, batch_size=2, spans=True, restore=True)
    assert s.skipped_shards == 1 and s.engine == "ray"  # b's output vanished: redone by Ray with c and d
    assert (s.read, s.written, s.rejected) == (local.read, local.written, local.rejected) == (13, 12, 1)

    def rows(folder):
        out = []
        for f in files:  # shard by shard, in input order
            key = [p for p in os.listdir(folder) if p.startswith(os.path.basename(f).split(".")[0] + "-")]
            assert len(key) == 1
            out += read_output(folder / key[0])
        return out

    local_rows, ray_rows = rows(tmp_path / "local"), rows(tmp_path / "ray")
    assert len(local_rows) == 12
    assert ray_rows == local_rows  # row for row: same order, same columns, same results
    assert read_output(tmp_path / "ray.errors.jsonl") == read_output(tmp_path / "local.errors.jsonl")
    assert all(isinstance(json.loads(r["spans"]), list) for r in ray_rows)
