"""YAML read with limits: safe-loaded (no tags run), at most 1 MB a file, aliases bounded.

An alias repeats the node its anchor names, so a few hundred bytes of nested aliases can stand
for billions of values (a "billion laughs"); the loader itself shares them, but anything that
walks the result (validation, hashing, JSON) does not. Aliases may therefore add at most
:data:`MAX_ALIAS_NODES` nodes to a document, and an alias inside its own anchor is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 1_000_000
MAX_ALIAS_NODES = 10_000


class YamlLimitError(yaml.YAMLError):
    """A YAML file or text beyond the limits; the message says which limit and by how much."""


def read_bytes(path: Path) -> bytes:
    """The file's bytes, refused before reading when it is over :data:`MAX_BYTES`."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise YamlLimitError(f"{path.name} is {size:,} bytes, more than the {MAX_BYTES:,} a "
                             "YAML file may have")
    return path.read_bytes()


def load(text: str) -> Any:
    """``yaml.safe_load`` of ``text`` once its node graph is within the limits."""
    if len(text) > MAX_BYTES:
        raise YamlLimitError(f"{len(text):,} characters of YAML, more than {MAX_BYTES:,}")
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        written, expanded = _sizes(root)
        if expanded - written > MAX_ALIAS_NODES:
            raise YamlLimitError(f"aliases (*name) repeat {expanded - written:,} nodes, more "
                                 f"than {MAX_ALIAS_NODES:,}: write the values out, or use "
                                 "fewer aliases")
        return loader.construct_document(root)
    except RecursionError:
        raise YamlLimitError("nested too deeply to read") from None
    finally:
        loader.dispose()


def _sizes(root: yaml.Node) -> tuple[int, int]:
    """(distinct nodes, nodes once every alias is expanded) of a composed document."""
    expanded: dict[int, int] = {}  # id(node) → its expanded size; -1 while it is being counted

    def size(node: yaml.Node) -> int:
        known = expanded.get(id(node))
        if known == -1:
            line = node.start_mark.line + 1
            raise YamlLimitError(f"an alias inside its own anchor (line {line})")
        if known is not None:
            return known
        expanded[id(node)] = -1
        children = (node.value if isinstance(node, yaml.SequenceNode) else
                    [part for pair in node.value for part in pair]
                    if isinstance(node, yaml.MappingNode) else [])
        total = 1 + sum(size(child) for child in children)
        expanded[id(node)] = total
        return total

    total = size(root)
    return len(expanded), total
