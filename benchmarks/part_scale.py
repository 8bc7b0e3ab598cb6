"""Part 3b: the scale curve (see :mod:`part_large`)."""

from __future__ import annotations

from part_large import run_scale


def run(mode: str, say=print) -> list[dict]:
    return run_scale(mode, say)
