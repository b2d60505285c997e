"""lemminflect, imported without its spaCy hook.

lemminflect's `__init__` imports spaCy (1–2 s) only to register Token extensions this toolkit never
uses; on the default path nothing else needs spaCy, and start-up time is a requirement. The import is
made with spaCy hidden from the import system for that one statement (if spaCy is already loaded,
nothing changes).
"""
from __future__ import annotations

import sys


class _HideSpacy:
    def find_spec(self, name, path=None, target=None):
        if name == "spacy" or name.startswith("spacy."):
            raise ImportError("spaCy is not needed by lemminflect here")
        return None


def _import():
    if "lemminflect" in sys.modules or "spacy" in sys.modules:
        import lemminflect

        return lemminflect
    hider = _HideSpacy()
    sys.meta_path.insert(0, hider)
    try:
        import lemminflect
    finally:
        sys.meta_path.remove(hider)
    return lemminflect


_lm = _import()
getAllLemmas = _lm.getAllLemmas
getAllInflections = _lm.getAllInflections
getInflection = _lm.getInflection
from lemminflect.core.LexicalUtils import pennTagAlts, tagToUPos, uposToTags  # noqa: F401 (re-exported for reverse.py)
