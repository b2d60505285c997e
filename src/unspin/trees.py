"""Small gradient-boosted tree ensembles for the second-stage models (flag, restore).

LightGBM fits them and stores them in its own text format. At run time they are evaluated by
LightGBM's compiled library through its C API, called here with ctypes: importing the `lightgbm`
Python package pulls in scikit-learn, scipy and pandas (~1.5 s on every cold start), and evaluating the
trees in numpy cost ~9 ms a document (a quarter of a warm check); the C API takes a fraction of a
millisecond. The calls mirror those of lightgbm's own `basic.py`.
"""
from __future__ import annotations

import ctypes
import functools
import importlib.util
import os
from dataclasses import dataclass, field

import numpy as np

PARAMS = {"objective": "binary", "learning_rate": 0.05, "num_leaves": 15, "max_depth": 6, "min_data_in_leaf": 20,
          "verbose": -1, "num_threads": 1, "seed": 0, "deterministic": True}
ROUNDS = 200
_FLOAT64 = 1  # C_API_DTYPE_FLOAT64
_ROW_MAJOR = 1
_PREDICT_NORMAL = 0  # probabilities, for the binary objective
_PREDICT_PARAMS = b"num_threads=1"  # one thread: no OpenMP pool, so workers may fork after a prediction


@functools.lru_cache(maxsize=1)
def _lib() -> ctypes.CDLL:
    spec = importlib.util.find_spec("lightgbm")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the second-stage models need LightGBM's library: pip install lightgbm")
    path = os.path.join(spec.submodule_search_locations[0], "lib", "lib_lightgbm.so")
    lib = ctypes.CDLL(path)
    lib.LGBM_GetLastError.restype = ctypes.c_char_p
    return lib


def _check(rc: int) -> None:
    if rc != 0:
        raise RuntimeError(f"LightGBM: {_lib().LGBM_GetLastError().decode()}")


class _Booster:
    def __init__(self, model_str: str):
        self._free = _lib().LGBM_BoosterFree  # kept: module globals may be gone when __del__ runs at exit
        self.handle = ctypes.c_void_p()
        n_iter = ctypes.c_int(0)
        _check(_lib().LGBM_BoosterLoadModelFromString(ctypes.c_char_p(model_str.encode("utf-8")),
                                                      ctypes.byref(n_iter), ctypes.byref(self.handle)))

    def predict(self, x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float64)
        out = np.empty(len(x), dtype=np.float64)
        n_out = ctypes.c_int64(0)
        _check(_lib().LGBM_BoosterPredictForMat(
            self.handle, x.ctypes.data_as(ctypes.c_void_p), ctypes.c_int(_FLOAT64), ctypes.c_int32(x.shape[0]),
            ctypes.c_int32(x.shape[1]), ctypes.c_int(_ROW_MAJOR), ctypes.c_int(_PREDICT_NORMAL), ctypes.c_int(0),
            ctypes.c_int(-1), ctypes.c_char_p(_PREDICT_PARAMS), ctypes.byref(n_out),
            out.ctypes.data_as(ctypes.POINTER(ctypes.c_double))))
        if n_out.value != len(x):
            raise RuntimeError(f"LightGBM returned {n_out.value} predictions for {len(x)} rows")
        return out

    def __del__(self):
        if getattr(self, "handle", None) is not None and self.handle.value:
            self._free(self.handle)


@dataclass
class TreeEnsemble:
    """A binary classifier: P(label 1) for each row of features."""

    model_str: str  # LightGBM's text model format
    names: list[str] = field(default_factory=list)
    _booster: _Booster | None = field(default=None, repr=False, compare=False)

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, names: list[str], rounds: int = ROUNDS,
            learning_rate: float | None = None) -> "TreeEnsemble":
        import lightgbm

        params = PARAMS if learning_rate is None else {**PARAMS, "learning_rate": learning_rate}
        booster = lightgbm.train(params, lightgbm.Dataset(x, y, feature_name=[_safe(n) for n in names]), rounds)
        return cls(booster.model_to_string(), names)

    def predict(self, x: np.ndarray) -> np.ndarray:
        if len(x) == 0:
            return np.zeros(0)
        if self._booster is None:
            self._booster = _Booster(self.model_str)
        return self._booster.predict(x)

    def to_json(self) -> dict:
        return {"names": self.names, "lightgbm": self.model_str}

    @classmethod
    def from_json(cls, d: dict) -> "TreeEnsemble":
        return cls(d["lightgbm"], d.get("names", []))


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name)
