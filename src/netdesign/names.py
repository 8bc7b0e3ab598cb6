"""Matching names a person typed (columns, tables, ids) against the known ones.

Two rules, one for reading and one for messages:

* :func:`same_name` accepts a name that differs from a known one only by letter case
  (``Customer`` for ``customer``): read as the known one, with a note;
* :func:`did_you_mean` proposes the known names close to an unknown one: equal once case,
  spaces, hyphens and underscores are ignored (``Fixed Cost``, ``fixedcost``), one a prefix of
  the other (``throughput_cap``), or similar by :func:`difflib.get_close_matches`
  (``facility_option``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable


def _squash(name: str) -> str:
    return re.sub(r"[\s_\-.]+", "", name).casefold()


def same_name(name: str, known: Iterable[str]) -> str | None:
    """The known name equal to ``name`` ignoring case, if exactly one is."""
    hits = [k for k in known if k.casefold() == name.casefold()]
    return hits[0] if len(hits) == 1 else None


def close_names(name: str, known: Iterable[str], n: int = 3) -> list[str]:
    """Known names close to ``name``, closest first (see the module docstring)."""
    known = list(dict.fromkeys(known))
    squashed = _squash(name)
    if not squashed:
        return []
    out = [k for k in known if _squash(k) == squashed]
    out += [k for k in known if len(squashed) >= 4 and k not in out and (
        _squash(k).startswith(squashed) or squashed.startswith(_squash(k)))]
    by_squash = {_squash(k): k for k in known}
    out += [by_squash[s] for s in difflib.get_close_matches(squashed, list(by_squash), n=n,
                                                             cutoff=0.75)]
    return list(dict.fromkeys(out))[:n]


def did_you_mean(name: str, known: Iterable[str], quote: str = "'") -> str:
    """`` (did you mean 'fixed_cost'?)`` or an empty string when nothing is close."""
    close = close_names(name, known)
    if not close:
        return ""
    shown = " or ".join(f"{quote}{c}{quote}" for c in close)
    return f" (did you mean {shown}?)"
