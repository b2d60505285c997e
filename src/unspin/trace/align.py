"""Passage alignment between a query and a candidate source: seed and extend over token sequences.

Seeds are runs of `SEED` identical normalised tokens (found through a hash table of the source's token
trigrams), extended forward as far as the tokens agree. Seeds are chained into a passage while the gaps
between them are short on both sides (a spinner's swap, a dropped word); each short gap is then aligned
exactly with `difflib.SequenceMatcher` (EVALUATION.md's matcher) and its `replace` runs become the
substitutions. Scattered short matches ("of the") never form a passage, so an unrelated document aligns
to nothing, while reordered passages (a copy that moves paragraphs) are still found, which a single
global diff would miss. Linear in the query length, so a query is verified against many candidates fast.

Offsets are character offsets into the query and the source text.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from ..tokenize import _TYPO_MAP, TOKEN_RE, normalize
from .fingerprint import _TYPO_RE

SEED = 3  # identical tokens that start or continue a passage
MAX_GAP = 15  # tokens on either side between two seeds chained into one passage
MAX_SUBSTITUTION = 6  # tokens on either side of a `replace` reported as a substitution
MIN_PASSAGE_WORDS = 6  # matched words a passage needs to count
MAX_SEED_POSITIONS = 16  # source positions tried per seed (punctuation trigrams recur)


@dataclass(frozen=True, slots=True)
class Passage:
    query_start: int
    query_end: int
    source_start: int
    source_end: int

    def to_dict(self) -> dict:
        return {"query_start": self.query_start, "query_end": self.query_end,
                "source_start": self.source_start, "source_end": self.source_end}


@dataclass(frozen=True, slots=True)
class Substitution:
    query_start: int
    query_end: int
    query_text: str
    source_text: str | None  # None when the index keeps fingerprints only
    source_start: int = 0
    source_end: int = 0

    def to_dict(self) -> dict:
        return {"query_start": self.query_start, "query_end": self.query_end,
                "query_text": self.query_text, "source_text": self.source_text,
                "source_start": self.source_start, "source_end": self.source_end}


@dataclass(slots=True)
class Alignment:
    coverage: float  # share of the query's words inside aligned passages
    source_coverage: float  # share of the source's words inside aligned passages
    matched: float  # share of the query's words matched exactly
    passages: list[Passage] = field(default_factory=list)
    substitutions: list[Substitution] = field(default_factory=list)


@dataclass(slots=True)
class TokenSeq:
    """A text as parallel lists: comparison keys, character offsets, word flags."""

    keys: list
    starts: list[int]
    ends: list[int]
    is_word: list[bool]

    @classmethod
    def of(cls, text: str) -> "TokenSeq":
        starts, ends = [], []
        for m in TOKEN_RE.finditer(text):
            starts.append(m.start())
            ends.append(m.end())
        folded = text.lower()
        if _TYPO_RE.search(folded):
            folded = folded.translate(_TYPO_MAP)
        if len(folded) == len(text):  # normalise once for the whole text (the common case)
            keys = [folded[a:b] for a, b in zip(starts, ends)]
        else:  # a few characters change length when lower-cased ("İ"): per token
            keys = [normalize(text[a:b]) for a, b in zip(starts, ends)]
        words = [text[a].isalnum() or text[a] == "_" for a in starts]
        return cls(keys, starts, ends, words)

    def __len__(self) -> int:
        return len(self.keys)

    def window(self, i: int, j: int) -> "TokenSeq":
        return TokenSeq(self.keys[i:j], self.starts[i:j], self.ends[i:j], self.is_word[i:j])


def _seeds(q: TokenSeq, s: TokenSeq) -> list[tuple[int, int, int]]:
    """Greedy seed-and-extend: maximal runs (qi, si, length) of identical tokens, length >= SEED."""
    table: dict[tuple, list[int]] = {}
    sk, qk = s.keys, q.keys
    for j in range(len(sk) - SEED + 1):
        table.setdefault(tuple(sk[j : j + SEED]), []).append(j)
    blocks = []
    i, nq, ns = 0, len(qk), len(sk)
    last_qe = last_se = 0
    while i <= nq - SEED:
        positions = table.get(tuple(qk[i : i + SEED]))
        if not positions:
            i += 1
            continue
        best = None
        for j in positions[:MAX_SEED_POSITIONS]:
            length = SEED
            while i + length < nq and j + length < ns and qk[i + length] == sk[j + length]:
                length += 1
            # prefer continuing the current chain, then the longest run
            continues = blocks and 0 <= j - last_se <= MAX_GAP and 0 <= i - last_qe <= MAX_GAP
            key = (bool(continues), length)
            if best is None or key > best[0]:
                best = (key, j, length)
        _, j, length = best
        blocks.append((i, j, length))
        last_qe, last_se = i + length, j + length
        i += length
    return blocks


def _edge_blocks(q: TokenSeq, s: TokenSeq, qa: int, sa: int, forward: bool) -> list[tuple[int, int, int]]:
    """Extend a passage past its outer seed across short swaps ("A big tornado traveled over" against
    "A large tornado moved over"): align the next MAX_GAP tokens on both sides exactly and keep the
    matching runs reachable through short replaces only."""
    if forward:
        q_lo, s_lo = qa, sa
        qw, sw = q.keys[qa : qa + MAX_GAP], s.keys[sa : sa + MAX_GAP]
    else:
        q_lo, s_lo = max(0, qa - MAX_GAP), max(0, sa - MAX_GAP)
        qw, sw = q.keys[q_lo:qa], s.keys[s_lo:sa]
    if not qw or not sw:
        return []
    ops = difflib.SequenceMatcher(None, qw, sw, autojunk=False).get_opcodes()
    blocks, pending = [], []
    for tag, x1, x2, y1, y2 in (ops if forward else reversed(ops)):
        if tag == "equal":
            pending.append((q_lo + x1, s_lo + y1, x2 - x1))
            blocks += pending
            pending = []
        elif tag == "replace" and x2 - x1 <= MAX_SUBSTITUTION and y2 - y1 <= MAX_SUBSTITUTION:
            continue
        else:
            break
    return sorted(blocks)


def align(q: TokenSeq, s: TokenSeq, q_text: str, s_text: str | None) -> Alignment:
    blocks = _seeds(q, s)
    groups: list[list[tuple[int, int, int]]] = []
    for b in blocks:
        if groups:
            la, lb, ll = groups[-1][-1]
            gap_a, gap_b = b[0] - (la + ll), b[1] - (lb + ll)
            if 0 <= gap_a <= MAX_GAP and 0 <= gap_b <= MAX_GAP:
                groups[-1].append(b)
                continue
        groups.append([b])
    n_q_words = sum(q.is_word) or 1
    n_s_words = sum(s.is_word) or 1
    passages, subs = [], []
    covered_q = covered_s = matched = 0
    qw, sw = q.is_word, s.is_word
    last_qb = 0
    for gi, g in enumerate(groups):
        m_words = sum(sum(qw[a : a + n]) for a, _, n in g)
        if m_words < MIN_PASSAGE_WORDS:
            continue
        # extend at both ends, never into the neighbouring passages
        next_qa = groups[gi + 1][0][0] if gi + 1 < len(groups) else len(q)
        g = [b for b in _edge_blocks(q, s, g[0][0], g[0][1], False) if b[0] >= last_qb] + g
        g = g + [b for b in _edge_blocks(q, s, g[-1][0] + g[-1][2], g[-1][1] + g[-1][2], True) if b[0] + b[2] <= next_qa]
        qa, qb = g[0][0], g[-1][0] + g[-1][2]
        sa, sb = g[0][1], g[-1][1] + g[-1][2]
        last_qb = qb
        passages.append(Passage(q.starts[qa], q.ends[qb - 1], s.starts[sa], s.ends[sb - 1]))
        covered_q += sum(qw[qa:qb])
        covered_s += sum(sw[sa:sb])
        matched += m_words
        for (a1, b1, n1), (a2, b2, _) in zip(g, g[1:]):
            i1, i2, j1, j2 = a1 + n1, a2, b1 + n1, b2
            if i2 == i1 or j2 == j1:
                continue  # a pure insertion or deletion, not a swap
            # the gap between two seeds is short: align it exactly (it may hold a lone shared "the")
            sm = difflib.SequenceMatcher(None, q.keys[i1:i2], s.keys[j1:j2], autojunk=False)
            for tag, x1, x2, y1, y2 in sm.get_opcodes():
                if tag == "equal":
                    matched += sum(qw[i1 + x1 : i1 + x2])
                    continue
                if tag != "replace" or x2 - x1 > MAX_SUBSTITUTION or y2 - y1 > MAX_SUBSTITUTION:
                    continue
                if not any(qw[i1 + x1 : i1 + x2]):
                    continue
                qs, qe = q.starts[i1 + x1], q.ends[i1 + x2 - 1]
                ss, se = s.starts[j1 + y1], s.ends[j1 + y2 - 1]
                subs.append(Substitution(qs, qe, q_text[qs:qe], s_text[ss:se] if s_text is not None else None, ss, se))
    return Alignment(min(1.0, covered_q / n_q_words), min(1.0, covered_s / n_s_words),
                     min(1.0, matched / n_q_words), passages, subs)
