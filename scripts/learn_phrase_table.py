"""Learn src/unspin/lexicon/data/phrase_table.json from aligned real pairs (thesaurus kind).

    python scripts/learn_phrase_table.py ../shared/data/dev_pairs.jsonl
"""
import json
import sys
from pathlib import Path

from unspin.lexicon.learn import learn_phrase_table

pairs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
table = learn_phrase_table(pairs)
out = Path(__file__).resolve().parents[1] / "src/unspin/lexicon/data/phrase_table.json"
out.write_text(json.dumps(table, indent=0, ensure_ascii=False, sort_keys=True), encoding="utf-8")
print(f"wrote {len(table)} spun phrases to {out}")
