"""Writing into an output folder: whole files or nothing, and one study per folder at a time.

:func:`write_atomic` writes a file to a temporary name in the same folder and renames it into
place (``os.replace``), so a reader, a crash or a full disk never leaves half a file: the old one
stays until the new one is complete. :func:`folder_lock` holds an OS lock (``fcntl.flock``) on
``DIR/.netdesign.lock`` for as long as a command writes (or reads) the folder; the lock dies with
its process, so a killed study never blocks the next one, and the lock file names the holder.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from netdesign.errors import InputError

LOCK_NAME = ".netdesign.lock"

_held: dict[Path, tuple[int, int]] = {}  # folder → (thread holding it here, nesting depth)


class FolderBusy(InputError):
    """Another process holds the folder's lock; ``holder`` is what it wrote about itself."""

    def __init__(self, folder: Path, holder: dict[str, Any]):
        self.folder, self.holder = folder, holder
        who = (f"pid {holder.get('pid', '?')} on {holder.get('host', '?')}, started "
               f"{holder.get('started', '?')}, command: {holder.get('command', '?')}"
               if holder else "a process that has not yet said who it is")
        super().__init__(f"{folder} is in use by another netdesign process ({who}); wait for it "
                         "to finish or stop it, or use another --out folder")


def write_atomic(path: str | Path, write: Callable[[Path], Any] | str | bytes) -> Path:
    """Write ``path`` whole or not at all: ``write`` (text, bytes, or a function that writes the
    file at the path it is given) goes to a temporary file beside ``path``, which is flushed to
    disk and renamed over ``path``. On any error the temporary file is removed, ``path`` keeps
    its old content, and the error is raised."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp{path.suffix}")
    try:
        if isinstance(write, str):
            temporary.write_text(write, encoding="utf-8")
        elif isinstance(write, bytes):
            temporary.write_bytes(write)
        else:
            write(temporary)
        handle = os.open(temporary, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            temporary.unlink()
        raise
    return path


@contextmanager
def folder_lock(folder: str | Path) -> Iterator[None]:
    """Hold ``folder``'s lock while inside (created with the folder if missing): FolderBusy,
    before anything is written, when another process holds it. Nested use in one process is
    allowed in the thread that holds it (``run_study`` inside ``netdesign study``); another
    thread of the same process gets FolderBusy too."""
    import fcntl

    folder = Path(folder).resolve()
    me = threading.get_ident()
    if folder in _held:
        owner, depth = _held[folder]
        if owner != me:
            with open(folder / LOCK_NAME, "rb") as handle:
                raise FolderBusy(folder, _holder(handle.fileno()))
        _held[folder] = (owner, depth + 1)
        try:
            yield
        finally:
            _held[folder] = (owner, depth)
        return
    folder.mkdir(parents=True, exist_ok=True)
    handle = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FolderBusy(folder, _holder(handle)) from None
        os.ftruncate(handle, 0)
        os.pwrite(handle, json.dumps({
            "pid": os.getpid(), "host": socket.gethostname(),
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": _command()}).encode(), 0)
        _held[folder] = (me, 1)
        try:
            yield
        finally:
            del _held[folder]
            os.ftruncate(handle, 0)
    finally:
        os.close(handle)  # closing the descriptor releases the lock


def _command() -> str:
    """This process's command line (``python -m netdesign`` shown as ``netdesign``)."""
    argv = list(sys.argv)
    if argv and Path(argv[0]).name == "__main__.py":
        argv[0] = "netdesign"
    return " ".join(argv)


def _holder(handle: int) -> dict[str, Any]:
    """What the holder of a lock wrote into it ({} when it has not written yet)."""
    try:
        return json.loads(os.pread(handle, 65536, 0) or b"{}")
    except ValueError:
        return {}
