"""`unspin serve`: a web page and a JSON API over one shared checker.

    >>> from unspin.web import create_app
    >>> app = create_app(model="ngram")          # loads the model once
    >>> # uvicorn.run(app, host="127.0.0.1", port=8000)
"""
from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
