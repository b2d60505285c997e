"""Small gradient-boosted tree ensembles for the second-stage models (flag, restore).

LightGBM fits them; at run time their trees are evaluated here with numpy (all trees at once, one gather
per level), because importing lightgbm pulls in scikit-learn and would add ~1.5 s to every cold start.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

PARAMS = {"objective": "binary", "learning_rate": 0.05, "num_leaves": 15, "max_depth": 6, "min_data_in_leaf": 20,
          "verbose": -1, "num_threads": 1, "seed": 0, "deterministic": True}
ROUNDS = 200


@dataclass
class TreeEnsemble:
    """Binary-logloss trees: P = sigmoid(sum of one leaf value per tree). Nodes of every tree are laid
    out in (n_trees, max_nodes) arrays; a leaf has feature -1 and its value in `value`."""

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    depth: int
    names: list[str] = field(default_factory=list)

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, names: list[str]) -> "TreeEnsemble":
        import lightgbm

        booster = lightgbm.train(PARAMS, lightgbm.Dataset(x, y, feature_name=[_safe(n) for n in names]), ROUNDS)
        return cls.from_dump(booster.dump_model(), names)

    @classmethod
    def from_dump(cls, dump: dict, names: list[str]) -> "TreeEnsemble":
        trees = [_flatten(t["tree_structure"]) for t in dump["tree_info"]]
        width = max(len(t) for t in trees)
        arrays = {k: np.zeros((len(trees), width), dtype=dt)
                  for k, dt in (("feature", np.int32), ("threshold", float), ("left", np.int32),
                                ("right", np.int32), ("value", float))}
        arrays["feature"][:] = -1
        depth = 0
        for t, nodes in enumerate(trees):
            for n, (feat, thr, left, right, value, d) in enumerate(nodes):
                arrays["feature"][t, n], arrays["threshold"][t, n] = feat, thr
                arrays["left"][t, n], arrays["right"][t, n], arrays["value"][t, n] = left, right, value
                depth = max(depth, d)
        return cls(**arrays, depth=depth, names=names)

    def predict(self, x: np.ndarray) -> np.ndarray:
        if len(x) == 0:
            return np.zeros(0)
        x = np.ascontiguousarray(x, dtype=float)
        n_trees, width = self.feature.shape
        feature, threshold = self.feature.ravel(), self.threshold.ravel()
        left, right = self.left.ravel(), self.right.ravel()
        # flat node indices: tree t's node k is t * width + k; one row of them per input row
        base = (np.arange(n_trees) * width)[None, :]
        node = np.broadcast_to(base, (len(x), n_trees)).copy()
        row_start = (np.arange(len(x)) * x.shape[1])[:, None]
        flat_x = x.ravel()
        for _ in range(self.depth):
            feat = feature[node]
            inner = feat >= 0
            go_left = flat_x[row_start + np.maximum(feat, 0)] <= threshold[node]
            node = np.where(inner, base + np.where(go_left, left[node], right[node]), node)
        z = self.value.ravel()[node].sum(axis=1)
        return 1.0 / (1.0 + np.exp(-z))

    def to_json(self) -> dict:
        return {"names": self.names, "depth": self.depth,
                **{k: getattr(self, k).tolist() for k in ("feature", "threshold", "left", "right", "value")}}

    @classmethod
    def from_json(cls, d: dict) -> "TreeEnsemble":
        return cls(np.array(d["feature"], dtype=np.int32), np.array(d["threshold"], dtype=float),
                   np.array(d["left"], dtype=np.int32), np.array(d["right"], dtype=np.int32),
                   np.array(d["value"], dtype=float), int(d["depth"]), d.get("names", []))


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name)


def _flatten(root: dict) -> list[tuple]:
    """A dumped LightGBM tree as [(feature, threshold, left, right, value, depth)], root first."""
    nodes: list = []

    def visit(node: dict, depth: int) -> int:
        k = len(nodes)
        nodes.append(None)
        if "leaf_value" in node:
            nodes[k] = (-1, 0.0, 0, 0, node["leaf_value"], depth)
            return k
        if node.get("decision_type", "<=") != "<=":
            raise ValueError(f"unsupported split {node.get('decision_type')!r}")
        left, right = visit(node["left_child"], depth + 1), visit(node["right_child"], depth + 1)
        nodes[k] = (node["split_feature"], float(node["threshold"]), left, right, 0.0, depth)
        return k

    visit(root, 0)
    return nodes
