"""CLI: serve (placeholder until the feature lands)."""
from __future__ import annotations

COMMANDS: list = []
