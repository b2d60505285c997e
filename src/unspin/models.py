"""The learned parts: a span model (is this candidate the original?) and a document model (is this
document spun?), both logistic regressions stored as JSON beside the package, one pair per scorer."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .trees import TreeEnsemble


@dataclass
class Logistic:
    coef: np.ndarray
    intercept: float
    mean: np.ndarray
    scale: np.ndarray
    names: list[str] = field(default_factory=list)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        if len(x) == 0:
            return np.zeros(0)
        z = ((x - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, names: list[str], c: float = 1.0, weight=None) -> "Logistic":
        from sklearn.linear_model import LogisticRegression

        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale[scale == 0] = 1.0
        lr = LogisticRegression(C=c, max_iter=2000).fit((x - mean) / scale, y, sample_weight=weight)
        return cls(lr.coef_[0], float(lr.intercept_[0]), mean, scale, names)

    def to_json(self) -> dict:
        return {"names": self.names, "coef": self.coef.tolist(), "intercept": self.intercept,
                "mean": self.mean.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_json(cls, d: dict) -> "Logistic":
        return cls(np.array(d["coef"]), d["intercept"], np.array(d["mean"]), np.array(d["scale"]), d.get("names", []))


@dataclass
class Models:
    span: Logistic
    doc: Logistic
    span_threshold: float = 0.5
    doc_threshold: float = 0.5
    meta: dict = field(default_factory=dict)
    # the second stage (flagging.py); None in models trained before it existed
    flag: "TreeEnsemble | None" = None
    flag_threshold: float = 0.5
    restore: "TreeEnsemble | None" = None
    restore_threshold: float = 0.5
    restore_flag_gate: float = 0.0  # the flag probability a restoration also needs

    def to_json(self) -> dict:
        d = {"span": self.span.to_json(), "doc": self.doc.to_json(), "span_threshold": self.span_threshold,
             "doc_threshold": self.doc_threshold, "meta": self.meta}
        if self.flag is not None:
            d.update(flag=self.flag.to_json(), flag_threshold=self.flag_threshold)
        if self.restore is not None:
            d.update(restore=self.restore.to_json(), restore_threshold=self.restore_threshold,
                     restore_flag_gate=self.restore_flag_gate)
        return d

    def save(self, path: str | Path) -> None:
        # one line per model: the tree arrays would take tens of thousands of lines indented
        d = self.to_json()
        body = ",\n".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in d.items())
        Path(path).write_text("{\n" + body + "\n}\n", encoding="utf-8")

    @classmethod
    def from_json(cls, d: dict) -> "Models":
        from .trees import TreeEnsemble

        flag = TreeEnsemble.from_json(d["flag"]) if "flag" in d else None
        restore = TreeEnsemble.from_json(d["restore"]) if "restore" in d else None
        return cls(Logistic.from_json(d["span"]), Logistic.from_json(d["doc"]), d["span_threshold"],
                   d["doc_threshold"], d.get("meta", {}), flag, d.get("flag_threshold", 0.5), restore,
                   d.get("restore_threshold", 0.5), d.get("restore_flag_gate", 0.0))

    @classmethod
    def shipped(cls, scorer: str) -> "Models":
        name = "ngram" if scorer == "ngram" else "neural"
        src = resources.files("unspin") / "data" / f"models_{name}.json"
        if not src.is_file():
            raise FileNotFoundError(f"no trained models for scorer {scorer!r}; run scripts/train_models.py")
        return cls.from_json(json.loads(src.read_text(encoding="utf-8")))
