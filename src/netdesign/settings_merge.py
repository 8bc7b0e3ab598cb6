"""Settings layers merged over model.yaml key by key (README, "Scenarios and studies").

Priority, later wins: model.yaml < scenario ``settings`` < sweep point < ``changes`` < ``--set``.
A layer is a mapping written like model.yaml, dotted keys for nested ones (``service.max_days: 4``
is ``service: {max_days: 4}``). A section of the schema (a sub-model of
:class:`~netdesign.schema.Settings`, such as ``service`` or ``service.band``) merges key by key,
so writing one of its settings keeps the others; any other value (a number, a list, the mapping
``extra_columns``) replaces what was there. Within one layer, the same setting written twice
(``service.max_days`` and ``service: {max_days: …}``) is a collision, and a name the schema does
not know is an error naming the layer's file and key, before anything is validated (Calliope's
overrides refuse both too).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_args

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from netdesign.errors import ScenarioError
from netdesign.names import did_you_mean
from netdesign.schema import Settings

Path = tuple[str, ...]


def merge_layer(settings: dict[str, Any], layer: Mapping[str, Any], *, where: str,
                key_prefix: str = "") -> list[tuple[str, Any, Any]]:
    """Write ``layer`` into the nested ``settings`` in place, setting by setting.

    ``where`` (a file, "command line") and ``key_prefix`` (``settings.``, ``--set ``) say where
    the layer was written, for errors. Returns ``(key as written, old, new)`` per key of the
    layer; ``old`` has the shape of ``new`` and holds what the written settings were before.
    """
    layer_settings(layer, where=where, key_prefix=key_prefix)  # unknown names, collisions
    changes = []
    for key, value in layer.items():
        base = tuple(str(key).split("."))
        old: Any = {}
        for path, (new, _) in layer_settings({key: value}, where=where).items():
            previous = _put(settings, path, new, where, key_prefix)
            if path == base:
                old = previous
            else:
                _put_plain(old, path[len(base):], previous)
        changes.append((str(key), old, value))
    return changes


def layer_settings(layer: Mapping[str, Any], *, where: str,
                   key_prefix: str = "") -> dict[Path, tuple[Any, str]]:
    """Every setting a layer writes: path → (value, spelling as written, e.g.
    ``service: {max_days}``). Refuses an unknown name and a setting written twice."""
    found: dict[Path, tuple[Any, str]] = {}
    _collect(layer, (), (), Settings, found, where, key_prefix)
    return found


def _collect(mapping: Mapping[str, Any], prefix: Path, spelled: tuple[str, ...],
             section: type[BaseModel], found: dict[Path, tuple[Any, str]], where: str,
             key_prefix: str) -> None:
    for key, value in mapping.items():
        path, model = prefix, section
        for part in str(key).split("."):
            dotted = ".".join((*path, part))
            if model is None:
                raise ScenarioError(f"{where}: {key_prefix}{dotted}: "
                                    f"{'.'.join(path)} is a setting, not a section")
            fields = model.model_fields
            if part not in fields:
                raise ScenarioError(
                    f"{where}: {key_prefix}{dotted}: unknown setting"
                    f"{did_you_mean(part, fields)}, expected one of {', '.join(fields)}")
            path, model = (*path, part), _section(fields[part])
        spelling = (*spelled, str(key))
        if model is not None and isinstance(value, Mapping):
            _collect(value, path, spelling, model, found, where, key_prefix)
        else:
            _claim(found, path, value, _spelled(spelling), where, key_prefix)


def _section(field: FieldInfo) -> type[BaseModel] | None:
    """The sub-model of a section field (``service``, ``service.band``); None for a value."""
    for candidate in (field.annotation, *get_args(field.annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _claim(found: dict[Path, tuple[Any, str]], path: Path, value: Any, spelling: str,
           where: str, key_prefix: str) -> None:
    for other, (_, other_spelling) in found.items():
        shorter = min(path, other, key=len)
        if path[:len(shorter)] == other[:len(shorter)]:
            raise ScenarioError(
                f"{where}: {key_prefix}{'.'.join(shorter)}: written twice, as "
                f"{other_spelling!r} and as {spelling!r}")
    found[path] = (value, spelling)


def _spelled(keys: tuple[str, ...]) -> str:
    """``("service", "max_days")`` → ``service: {max_days}``, as the mapping was written."""
    text = keys[-1]
    for key in reversed(keys[:-1]):
        text = f"{key}: {{{text}}}"
    return text


def _put(settings: dict[str, Any], path: Path, value: Any, where: str, key_prefix: str) -> Any:
    """Set one setting in the nested mapping; return what it was (None if unset)."""
    target = settings
    for depth, part in enumerate(path[:-1]):
        node = target.get(part)
        if node is None:
            node = target[part] = {}
        if not isinstance(node, dict):
            raise ScenarioError(f"{where}: {key_prefix}{'.'.join(path)}: "
                                f"{'.'.join(path[:depth + 1])} is not a section in model.yaml "
                                f"(found {node!r})")
        target = node
    old = target.get(path[-1])
    target[path[-1]] = value
    return old


def _put_plain(target: dict[str, Any], path: Path, value: Any) -> None:
    for part in path[:-1]:
        target = target.setdefault(part, {})
    target[path[-1]] = value
