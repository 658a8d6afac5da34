"""A content-hash cache of rendered module bodies, so a rebuild renders only the modules that changed.

The cache lives in the output folder (``build/.cache/``), never in the published output. An entry is
found by a hash of everything its rendering depends on: the module's body and place, the ids of all
modules (links resolve to them) and the code of cursus itself. Modules whose rendering reported a
problem are never cached, so their diagnostics are reported again on every build.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import pickle
import tempfile
from functools import lru_cache
from pathlib import Path
from stat import S_ISREG

import markdown

import cursus

_RESERVED = itertools.count()

MEMORY_FILES = 8
"""Cache files whose entries a process keeps in memory after reading or saving them: a rebuild in
the same process (``cursus serve``) then skips reading them, as long as the file is unchanged."""
_MEMORY: dict[Path, tuple[tuple[int, int, int], dict, dict]] = {}
"""Entries by cache file (pickled, and those unpickled so far), with the file's inode, size and
modification time when they were read or saved."""

CODE = ("blocks.py", "cache.py", "loader.py", "model.py", "render.py", "templating.py")
"""The sources whose change changes how a module renders."""


@lru_cache(maxsize=1)
def code_version() -> str:
    """Return a hash of the cursus version, the Markdown version and the rendering code."""
    digest = hashlib.sha256(f"{cursus.__version__}/{markdown.__version__}".encode())
    folder = Path(__file__).resolve().parent
    for name in CODE:
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()


class RenderCache:
    """Rendered module bodies (or pages) by content hash, loaded from and saved to one file.

    Each entry is kept pickled on its own, so a rebuild that changed one module pickles one entry,
    not the whole cache, and unpickles an entry only when it is looked up."""

    def __init__(self, folder: Path | None, name: str = "modules.pickle"):
        self.path = Path(folder) / name if folder else None
        self.saved, self.objects = self._read()
        """The entries as the file holds them (pickled), and those unpickled so far in this process."""
        self.used: dict[str, bytes] = {}
        """Entries looked up or added in this build, pickled: exactly what ``save`` keeps."""
        self.staged: Path | None = None
        """This build's entries written beside the cache file, waiting for the build to succeed."""
        self.reserved: Path | None = None
        """A file name given to another process to stage this build's entries in (``reserve``)."""

    def _read(self) -> tuple[dict[str, bytes], dict[str, object]]:
        """Return the saved entries, or none when there is no usable cache."""
        signature = _signature(self.path)
        if signature is None:
            return {}, {}
        remembered = _MEMORY.get(self.path)
        if remembered is not None and remembered[0] == signature:
            return remembered[1], remembered[2]
        try:
            saved = pickle.loads(self.path.read_bytes())
        # A cache from another cursus version, or a half-written one, is just a cache miss.
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return {}, {}
        entries = saved.get("entries", {}) if isinstance(saved, dict) and saved.get("code") == code_version() else {}
        if not isinstance(entries, dict) or not all(isinstance(value, bytes) for value in entries.values()):
            return {}, {}
        objects: dict[str, object] = {}
        _remember(self.path, signature, entries, objects)
        return entries, objects

    @staticmethod
    def key(*parts: object) -> str:
        """Return the hash of everything a rendering depends on."""
        digest = hashlib.sha256(code_version().encode())
        for part in parts:
            digest.update(b"\0" + str(part).encode("utf-8", "surrogateescape"))
        return digest.hexdigest()

    def get(self, key: str):
        """Return the entry stored under *key*, or None."""
        data = self.used.get(key) or self.saved.get(key)
        if data is None:
            return None
        entry = self.objects.get(key)
        if entry is None:
            try:
                entry = pickle.loads(data)
            except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
                return None
            self.objects[key] = entry
        self.used[key] = data
        return entry

    def put(self, key: str, entry: object) -> None:
        """Store an entry for this and later builds."""
        self.used[key] = pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)
        self.objects[key] = entry

    def reserve(self) -> Path | None:
        """Return a file name beside the cache file for another process (a forked builder) to stage
        this build's entries in; ``discard`` removes it too."""
        if self.path is None:
            return None
        self.reserved = self.path.parent / f".{self.path.stem}-{os.getpid()}-{next(_RESERVED)}.staged"
        return self.reserved

    def stage(self, to: Path | None = None) -> Path | None:
        """Write the entries of this build (older ones are dropped) to a file beside the cache file
        (or to *to*), if anything changed; ``save`` puts it in place once the build succeeded,
        ``discard`` drops it. Return the staged file."""
        if self.staged is None and self.path is not None and self.used.keys() != self.saved.keys():
            data = pickle.dumps({"code": code_version(), "entries": self.used}, protocol=pickle.HIGHEST_PROTOCOL)
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                if to is None:
                    handle, temporary = tempfile.mkstemp(prefix=f".{self.path.stem}-", suffix=".staged", dir=self.path.parent)
                    to = Path(temporary)
                    file = os.fdopen(handle, "wb")
                else:
                    file = open(to, "wb")
                with file:
                    file.write(data)
            # Without a cache the next build is only slower.
            except OSError:
                return None
            self.staged = to
        return self.staged

    def adopt(self, staged: Path | None) -> None:
        """Take over what another process (a forked builder) used of this cache in this build, as the
        file it staged: ``save`` puts that file in place, and saves nothing of this process."""
        self.discard(keep=staged)
        self.staged, self.path = staged, self.path if staged else None
        self.used, self.objects = {}, {}

    def save(self) -> None:
        """Put this build's entries in place (staging them first if needed), atomically."""
        staged = self.stage()
        if staged is None:
            return
        self.staged = None
        try:
            os.replace(staged, self.path)
        except OSError:
            staged.unlink(missing_ok=True)
            return
        if self.used:
            self.saved = dict(self.used)
            self.objects = {key: entry for key, entry in self.objects.items() if key in self.saved}
            signature = _signature(self.path)
            if signature is not None:
                _remember(self.path, signature, self.saved, self.objects)

    def discard(self, keep: Path | None = None) -> None:
        """Drop what ``stage`` wrote here or in another process (the build failed), but *keep*."""
        for staged in {self.staged, self.reserved} - {None, keep}:
            staged.unlink(missing_ok=True)
            with contextlib.suppress(OSError):  # the cache folder this build made, if nothing else is in it
                staged.parent.rmdir()
        self.staged = self.reserved = None


def _signature(path: Path | None) -> tuple[int, int, int] | None:
    """Return a file's inode, size and modification time, or None when it is not a file."""
    try:
        stat = path.stat() if path else None
    except OSError:
        return None
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns) if stat and S_ISREG(stat.st_mode) else None


def _remember(path: Path, signature: tuple[int, int, int], saved: dict[str, bytes], objects: dict[str, object]) -> None:
    """Keep a cache file's entries in memory (the MEMORY_FILES most recent files)."""
    _MEMORY.pop(path, None)
    _MEMORY[path] = (signature, saved, objects)
    while len(_MEMORY) > MEMORY_FILES:
        del _MEMORY[next(iter(_MEMORY))]
