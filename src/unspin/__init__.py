"""unspin: detect, flag, restore and trace spun English text, offline.

    >>> import unspin
    >>> report = unspin.check("Lukashenko mentioned on Thursday that his nation should be concerned.")
    >>> report.score, [(s.text, s.original) for s in report.spans]
"""
from __future__ import annotations

from .document import Document, Token
from .report import Report, Span

__all__ = ["check", "restore", "Checker", "Report", "Span", "Document", "Token", "Index", "scan", "spin"]
__version__ = "0.1.0"


def __getattr__(name):  # heavy parts load on first use
    if name == "Checker":
        from .checker import Checker

        return Checker
    if name == "Index":
        from .trace.index import Index

        return Index
    if name == "scan":
        from .corpus.scan import scan

        return scan
    raise AttributeError(name)


def check(text: str, model: str = "default", **kwargs) -> Report:
    """Check one document: score, verdict, flagged spans with proposed originals."""
    from .checker import get_checker

    return get_checker(model).check(text, **kwargs)


def restore(text: str, model: str = "default", **kwargs) -> str:
    """The most likely original wording of `text`."""
    return check(text, model=model, **kwargs).restored


def spin(text: str, rate: float = 0.3, seed: int = 0) -> str:
    """Spin `text` with the reference spinner (for test and benchmark data only)."""
    from .spinner import Spinner

    return Spinner(seed=seed).spin(text, rate=rate).spun_text
