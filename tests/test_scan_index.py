"""scan --index: rows that trace to an archived source are restored by alignment."""
import json

from unspin.corpus.scan import scan
from unspin.trace.index import Index

ORIG = ("The minister said on Thursday that the government would change the law in the next few days, "
        "according to a statement issued after the meeting in the capital on Monday evening.")
SPUN = ("The minister stated on Thursday that the authorities would alternate the legislation within the subsequent "
        "few days, consistent with a press release issued after the assembly in the capital on Monday evening.")


def test_scan_with_an_index_restores_traced_rows(tmp_path):
    idx_path = tmp_path / "archive.db"
    idx = Index(str(idx_path))
    idx.add([{"id": "src", "text": ORIG}])
    idx.close() if hasattr(idx, "close") else None
    docs = tmp_path / "in.jsonl"
    docs.write_text(json.dumps({"id": "q1", "text": SPUN}) + "\n"
                    + json.dumps({"id": "q2", "text": "Shares rose in early trading after strong results."}) + "\n")
    out = tmp_path / "out.jsonl"
    scan([str(docs)], str(out), workers=1, restore=True, index=str(idx_path))
    rows = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert rows["q1"]["spun"] and "according to a statement" in rows["q1"]["restored"]
    assert rows["q2"]["restored"] == "Shares rose in early trading after strong results."
