"""pocketsphinx's binary trigram LM ("Trie Language Model" format) as numpy arrays, queried in bulk.

`TrigramArrays.raw(w, h1, h2)` returns exactly what `pocketsphinx.NGramModel.prob([w, h1, h2])` returns
(an int in log base 1.0001) for whole arrays of word ids at once: the same quantised float32 values,
added in the same order, truncated to int like pocketsphinx's `lm_trie_score`. There is no library
that reads this format; the layout followed is pocketsphinx 5's `ngram_model_trie.c`, `lm_trie.c` and
`lm_trie_quant.c` (tests/test_ngram_trie.py checks the result against pocketsphinx itself).

The trie is stored reversed: unigram `w` -> bigram entries keyed by the previous word `h1` (sorted) ->
trigram entries keyed by `h2`. Here the bigrams and trigrams are `IntHash` tables keyed by their word
ids packed into one int64, holding only the entries pocketsphinx's search can reach, with their 16-bit
quantisation codes (decoded through pocketsphinx's own tables of values).
"""
from __future__ import annotations

import os
import shutil

import numpy as np

from .inthash import IntHash

HEADER = b"Trie Language Model"
QUANT_BITS = 16  # pocketsphinx quantises bigram probabilities, bigram backoffs and trigram probabilities to 16 bits
LOG_ZERO = -536870912  # what pocketsphinx's prob returns for an unknown predicted word
INVALID = -1  # the id of a word outside the vocabulary


def _bits(max_value: int) -> int:
    return int(max_value).bit_length()


def _read_fields(mem: np.ndarray, n: int, total_bits: int, fields: list[tuple[int, int]]) -> list[np.ndarray]:
    """Unpack `n` (+1 sentinel) bit-packed records of `total_bits`: each field (bit offset, width) as uint32."""
    padded = np.concatenate([mem, np.zeros(8, np.uint8)])
    out = []
    start = np.arange(n + 1, dtype=np.int64) * total_bits
    for offset, width in fields:
        bit = start + offset
        byte = bit >> 3
        word = (padded[byte].astype(np.uint64) | padded[byte + 1].astype(np.uint64) << np.uint64(8)
                | padded[byte + 2].astype(np.uint64) << np.uint64(16) | padded[byte + 3].astype(np.uint64) << np.uint64(24)
                | padded[byte + 4].astype(np.uint64) << np.uint64(32))
        out.append(((word >> (bit & 7).astype(np.uint64)) & np.uint64((1 << width) - 1)).astype(np.int64))
    return out


def _findable(words: np.ndarray, parent: np.ndarray, starts: np.ndarray, max_vocab: int) -> np.ndarray:
    """Which entries pocketsphinx's `uniform_find` (interpolation search over the parent's range, in
    uint32 arithmetic) finds when asked for their own word. It finds every entry of a sorted range
    small enough for its arithmetic not to wrap; in the others (two ranges of the CMU model are not
    sorted) the search is replayed entry by entry, all at once."""
    found = np.ones(len(words), bool)
    same = parent[1:] == parent[:-1]
    sizes = np.diff(starts)
    odd = np.zeros(len(sizes), bool)
    odd[parent[1:][same & (words[1:] <= words[:-1])]] = True
    odd |= sizes.astype(np.int64) * max_vocab >= 2**32
    todo = np.flatnonzero(odd[parent])
    if not len(todo):
        return found
    found[todo] = False
    m = np.int64(0xFFFFFFFF)
    key = words.astype(np.int64)
    lo, lo_v = (starts[parent] - 1) & m, np.zeros(len(words), np.int64)
    hi, hi_v = starts[parent + 1].astype(np.int64), np.full(len(words), max_vocab, np.int64)
    while len(todo):
        k, a, av, b, bv = key[todo], lo[todo], lo_v[todo], hi[todo], hi_v[todo]
        live = ((b - a) & m) > 1
        todo, k, a, av, b, bv = todo[live], k[live], a[live], av[live], b[live], bv[live]
        pivot = (a + 1 + (((k - av) & m) * ((b - a - 1) & m) & m) // (((bv - av) & m) + 1)) & m
        mid = key[np.minimum(pivot, len(key) - 1)]
        hit = mid == k
        found[todo[hit]] = True
        up, down = mid < k, mid > k
        lo[todo[up]], lo_v[todo[up]] = pivot[up], mid[up]
        hi[todo[down]], hi_v[todo[down]] = pivot[down], mid[down]
        todo = todo[~hit]
    return found


def parse(path: str) -> dict[str, np.ndarray]:
    """The arrays of a trigram trie file (pocketsphinx's `lm_trie_read_bin` + `read_word_str`)."""
    data = np.fromfile(path, dtype=np.uint8)
    if data[: len(HEADER)].tobytes() != HEADER:
        raise ValueError(f"{path} is not a pocketsphinx trie LM")
    pos = len(HEADER)
    order = int(data[pos])
    if order != 3:
        raise ValueError(f"{path}: only trigram models are supported (order {order})")
    n1, n2, n3 = (int(x) for x in data[pos + 1 : pos + 13].view("<u4"))
    pos += 13 + 4  # counts, then a dummy int (the old quantisation type)
    q = data[pos : pos + 4 * (3 << QUANT_BITS)].view("<f4")
    bi_prob_tab, bi_bo_tab, tri_prob_tab = q[: 1 << 16], q[1 << 16 : 2 << 16], q[2 << 16 :]
    pos += 4 * (3 << QUANT_BITS)
    uni = data[pos : pos + 12 * (n1 + 1)].view(np.dtype([("prob", "<f4"), ("bo", "<f4"), ("next", "<u4")]))
    pos += 12 * (n1 + 1)
    word_bits = _bits(n1)
    # bigram records: word | backoff index | prob index | next (start of its trigram range)
    next_bits = _bits(n3)
    bi_total = word_bits + 2 * QUANT_BITS + next_bits
    bi_size = ((1 + n2) * bi_total + 7) // 8 + 8
    bi_word, bi_bo_q, bi_prob_q, bi_next = _read_fields(
        data[pos : pos + bi_size], n2, bi_total,
        [(0, word_bits), (word_bits, QUANT_BITS), (word_bits + QUANT_BITS, QUANT_BITS), (word_bits + 2 * QUANT_BITS, next_bits)])
    pos += bi_size
    tri_total = word_bits + QUANT_BITS
    tri_size = ((1 + n3) * tri_total + 7) // 8 + 8
    tri_word, tri_prob_q = _read_fields(data[pos : pos + tri_size], n3, tri_total, [(0, word_bits), (word_bits, QUANT_BITS)])
    pos += tri_size
    n_chars = int(data[pos : pos + 4].view("<i4")[0])
    words = data[pos + 4 : pos + 4 + n_chars].tobytes()
    # the header's counts are an upper bound used for allocation; the sentinel "next" pointers say how
    # many entries were written
    uni_next = uni["next"].astype(np.int64)
    n2 = int(uni_next[n1])
    n3 = int(bi_next[n2])
    bi_parent = np.repeat(np.arange(n1, dtype=np.int64), np.diff(uni_next))  # the predicted word w
    tri_parent = np.repeat(np.arange(n2, dtype=np.int64), np.diff(bi_next[: n2 + 1]))  # the bigram entry (h1 w)
    bi_ok = _findable(bi_word[:n2], bi_parent, uni_next, n1)
    tri_ok = _findable(tri_word[:n3], tri_parent, bi_next[: n2 + 1], n1)
    bi_key = bi_parent * n1 + bi_word[:n2]  # (w, h1)
    tri_key = bi_key[tri_parent] * n1 + tri_word[:n3]  # (w, h1, h2)
    return {
        "words": np.frombuffer(words, dtype=np.uint8),
        "uni_prob": uni["prob"][:n1].copy(), "uni_bo": uni["bo"][:n1].copy(),
        "bi_prob_values": bi_prob_tab.copy(), "bi_bo_values": bi_bo_tab.copy(), "tri_prob_values": tri_prob_tab.copy(),
        "bi_key": bi_key[bi_ok], "bi_prob": bi_prob_q[:n2][bi_ok].astype(np.uint16), "bi_bo": bi_bo_q[:n2][bi_ok].astype(np.uint16),
        "tri_key": tri_key[tri_ok], "tri_prob": tri_prob_q[:n3][tri_ok].astype(np.uint16),
        "hidden": np.array([(~bi_ok).sum(), (~tri_ok).sum()]),
    }


class TrigramArrays:
    def __init__(self, arrays: dict[str, np.ndarray]):
        self.a = arrays
        self.n_words = len(arrays["uni_prob"])
        words = arrays["words"].tobytes().split(b"\0")[: self.n_words]
        self.vocab: dict[str, int] = {}
        for i, w in enumerate(words):
            self.vocab.setdefault(w.decode("utf-8", "surrogateescape"), i)  # pocketsphinx keeps the first of duplicates
        self.bi = IntHash(arrays["bi_keys"], int(arrays["bi_probe"]), prob=arrays["bi_prob"], bo=arrays["bi_bo"])
        self.tri = IntHash(arrays["tri_keys"], int(arrays["tri_probe"]), prob=arrays["tri_prob"])
        # whether every trigram's context (h2 h1) is a bigram, as in a well-formed ARPA model: then a
        # trigram is only looked for when its context bigram was found
        self.contexts_complete = bool(arrays["contexts_complete"])
        # the unigram arrays with a final 0 at index -1 (an unknown word)
        self._uni_prob = np.append(arrays["uni_prob"], np.float32(0))
        self._uni_bo = np.append(arrays["uni_bo"], np.float32(0))

    @classmethod
    def load(cls, path: str) -> TrigramArrays:
        return cls(_cached(path))

    def ids(self, words) -> np.ndarray:
        get = self.vocab.get
        return np.fromiter((get(w, INVALID) for w in words), dtype=np.int64)

    def raw(self, w: np.ndarray, h1: np.ndarray, h2: np.ndarray) -> np.ndarray:
        """pocketsphinx's raw score of `w` after `h2 h1` (word ids, -1 for unknown), as int64."""
        w, h1, h2 = (np.maximum(np.asarray(x, dtype=np.int64), INVALID) for x in (w, h1, h2))
        return self._raw(w, h1, h2, self._bigram(w, h1), self._bigram(h1, h2))

    def raw_cells(self, rows: np.ndarray, pad: int) -> tuple[np.ndarray, np.ndarray]:
        """Raw scores of every word of every row from the third on (its two predecessors are its
        history), for the cells that are not `pad`: (cell, score) arrays, a cell numbered column by
        column from the third, (column - 2) * len(rows) + row. The bigram (h2 h1) whose backoff a word
        may need is the previous word's bigram: looked up once. Cells are taken column by column, so
        that neighbouring rows sharing a context (the candidates of one position) look each shared
        n-gram up once."""
        n_rows = len(rows)
        cols = rows.T.ravel()  # column by column
        at = np.flatnonzero(cols[n_rows:] != pad) + n_rows  # the cells from the second column on
        w, h1 = cols[at], cols[at - n_rows]  # not PAD: a row's PAD cells are its last
        keys = w * self.n_words + h1  # negative when w is unknown
        keys[h1 < 0] = -1
        bigram = _find_runs(self.bi, keys)
        slots = np.full(len(cols), -1, dtype=np.int64)
        slots[at] = bigram
        third = np.searchsorted(at, 2 * n_rows)
        at = at[third:]
        raw = self._raw(w[third:], h1[third:], cols[at - 2 * n_rows], bigram[third:], slots[at - n_rows])
        return at - 2 * n_rows, raw

    def _bigram(self, w: np.ndarray, h1: np.ndarray) -> np.ndarray:
        """The slot of bigram (h1 w) in its table, or -1."""
        return _find_runs(self.bi, np.where((w >= 0) & (h1 >= 0), w * self.n_words + h1, -1))

    def _raw(self, w, h1, h2, bi, ctx) -> np.ndarray:
        """Word ids >= -1. `bi`: the slot of (h1 w); `ctx`: the slot of (h2 h1), whose backoff applies
        when no trigram (h2 h1 w) is found. Without a history word (h1 unknown) neither bigram exists
        and the unigram arrays' final 0 stands for the missing backoff: p1 + 0 + 0 is p1."""
        a, n = self.a, self.n_words
        look = (bi >= 0) & (ctx >= 0 if self.contexts_complete else (h2 >= 0))  # bi >= 0: w and h1 known
        li = np.flatnonzero(look)
        tri = self.tri.find((w[li] * n + h1[li]) * n + h2[li])  # few neighbours share a trigram
        bo2 = np.where(ctx >= 0, a["bi_bo_values"][self.bi.fields["bo"][ctx]], np.float32(0))
        p1 = self._uni_prob[w]
        bo1 = self._uni_bo[h1]  # the history is cut at its first unknown word
        score = np.where(bi >= 0, a["bi_prob_values"][self.bi.fields["prob"][bi]] + bo2, (p1 + bo1) + bo2)  # float32, pocketsphinx's order
        found = tri >= 0
        score[li[found]] = a["tri_prob_values"][self.tri.fields["prob"][tri[found]]]
        out = score.astype(np.int64)  # C's (int32) cast truncates toward zero
        out[w < 0] = LOG_ZERO
        return out


_SMALL = ("words", "uni_prob", "uni_bo", "bi_prob_values", "bi_bo_values", "tri_prob_values", "hidden", "contexts_complete")
_TABLES = ("bi_keys", "bi_prob", "bi_bo", "tri_keys", "tri_prob")


def _find_runs(index: IntHash, keys: np.ndarray) -> np.ndarray:
    """`index.find(keys)`, each run of equal neighbouring keys looked up once."""
    if len(keys) < 2:
        return index.find(keys)
    first = np.empty(len(keys), dtype=bool)
    first[0] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    return index.find(keys[first])[np.cumsum(first) - 1]


def _cache_dir(path: str):
    from ..cachefiles import cache_dir, fingerprint

    return cache_dir() / f"trigram-v5-{fingerprint(path)}-np{np.__version__.split('.')[0]}"


def _cached(path: str) -> dict[str, np.ndarray]:
    """The unigram arrays and the n-gram tables, kept as .npy files in the user's cache dir. Parsing and
    hashing take ~2 s; the cached tables are memory-mapped (no load time, and processes share them)."""
    from ..cachefiles import remove_stale

    try:
        cached = _cache_dir(path)
        if (cached / "done").is_file():
            out = {k: np.load(cached / f"{k}.npy") for k in _SMALL + ("bi_probe", "tri_probe")}
            # plain arrays over the mapping: np.memmap's own indexing is slow
            out.update({k: np.asarray(np.load(cached / f"{k}.npy", mmap_mode="r")) for k in _TABLES})
            return out
    except (OSError, ValueError, EOFError):
        cached = None
    parsed = parse(path)
    bi = IntHash.build(parsed["bi_key"], prob=parsed["bi_prob"], bo=parsed["bi_bo"])
    tri = IntHash.build(parsed["tri_key"], prob=parsed["tri_prob"])
    n = len(parsed["uni_prob"])
    tri_key = parsed["tri_key"]
    parsed["contexts_complete"] = np.array(bool((bi.find(tri_key // n % n * n + tri_key % n) >= 0).all()))
    arrays = {k: parsed[k] for k in _SMALL}
    arrays.update(bi_keys=bi.keys, bi_prob=bi.fields["prob"], bi_bo=bi.fields["bo"], bi_probe=np.array(bi.max_probe),
                  tri_keys=tri.keys, tri_prob=tri.fields["prob"], tri_probe=np.array(tri.max_probe))
    if cached is not None:
        tmp = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
        try:
            tmp.mkdir(parents=True, exist_ok=True)
            for k, v in arrays.items():
                np.save(tmp / f"{k}.npy", v)
            (tmp / "done").touch()
            os.replace(tmp, cached)
            remove_stale(cached, "trigram-v")
        except OSError:  # a read-only cache dir only costs speed; another process may have won the race
            shutil.rmtree(tmp, ignore_errors=True)
    return arrays
