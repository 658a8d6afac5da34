"""The only module that writes to the output folder: staged, confined, collision-checked.

A build writes into a staging folder and publishes only once every builder has succeeded, so a
failed build leaves the published output as it was. A first build publishes each format's folder
with one rename. A rebuild over a published folder stages only the files whose bytes changed: the
others are kept where they are, and publishing moves the changed files in and removes the ones this
build no longer makes. Creating files and folders is what a rebuild of a large course spent most
of its time on; a one-paragraph change now creates a handful.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from cursus.diagnostics import CursusError


class OutputClash(CursusError, ValueError):
    """A file this build cannot write: its path leaves the output folder, or another file of the
    build already has its name. A mistake of cursus itself, reported without a traceback."""


class OutputFolder:
    """One format's folder inside the staging area; every write goes through here.

    With *published* (the format's folder as the last build left it: each file's relative path and
    size), a file whose bytes are already published is not staged again."""

    def __init__(self, root: Path, published: tuple[Path, dict[str, int]] | None = None):
        self.root = root
        self.published = published
        self.written: set[str] = set()
        self._folded: set[str] = set()
        """The written paths case-folded: two names that differ only in case collide on many disks."""
        self._folders: set[Path] = set()
        """Folders already created, so each file costs one system call less."""

    def _key(self, relative: str) -> str:
        """Return *relative* as the key of an output file, refusing paths that leave the folder or repeat."""
        posix = PurePosixPath(relative)
        if posix.is_absolute() or ".." in posix.parts or not posix.parts:
            raise OutputClash(f"output path escapes the output folder: {relative!r}; nothing was written")
        key = posix.as_posix()
        self.claim(key)
        return key

    def _target(self, key: str) -> Path:
        """Return the staged path for the file *key*, its folder created."""
        target = self.root / key
        if target.parent not in self._folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(target.parent)
        return target

    def claim(self, key: str) -> None:
        """Record that the file *key* is written (here, or by a forked process); refuse a second time."""
        if key.casefold() in self._folded:
            raise OutputClash(f"output file written twice: {key} (names that differ only in case are one file on many disks); nothing was written")
        self.written.add(key)
        self._folded.add(key.casefold())

    def write_bytes(self, relative: str, data: bytes) -> None:
        """Write a file of bytes (unless exactly these bytes are published under that name)."""
        key = self._key(relative)
        if not self._is_published(key, data):
            self._target(key).write_bytes(data)

    def write_text(self, relative: str, text: str) -> None:
        """Write a UTF-8 text file with Unix line endings."""
        self.write_bytes(relative, text.encode("utf-8"))

    def _is_published(self, key: str, data: bytes) -> bool:
        """Tell whether the published folder holds the file *key* with exactly *data* in it."""
        if self.published is None:
            return False
        folder, sizes = self.published
        if sizes.get(key) != len(data):
            return False
        try:
            return (folder / key).read_bytes() == data
        except OSError:
            return False

    def scratch(self) -> Path:
        """Return a private folder for a builder's intermediate files; it is never published."""
        path = self.root.parent / f".scratch-{self.root.name}"
        path.mkdir(exist_ok=True)
        return path


class OutputTree:
    """A build's staging area below the output folder; ``commit`` publishes it all at once."""

    def __init__(self, out_dir: Path):
        self.out_dir = Path(out_dir)
        self.created = not self.out_dir.exists()
        """True when this build made the output folder: one that fails then leaves none behind."""
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            self.staging = Path(tempfile.mkdtemp(prefix=".cursus-staging-", dir=self.out_dir))
        except OSError as exc:
            raise CursusError(f"cannot write to the output folder {self.out_dir}: {exc.strerror or exc}") from None
        self.folders: dict[str, tuple[OutputFolder, bool]] = {}

    def folder(self, name: str, merge: bool = False) -> OutputFolder:
        """Return the staged folder for one output (``web``, ``scorm12``, ``pdf`` ...)."""
        if name not in self.folders:
            root = self.staging / name
            root.mkdir()
            self.folders[name] = (OutputFolder(root, _published(self.out_dir / name)), merge)
        return self.folders[name][0]

    def commit(self) -> None:
        """Publish every staged folder: replace whole folders, or merge files into shared ones."""
        try:
            for name, (folder, merge) in sorted(self.folders.items()):
                final = self.out_dir / name
                if merge:
                    self._merge(folder.root, final)
                elif folder.published is not None:
                    self._update(folder, final)
                else:
                    self._swap(folder.root, final)
        except OSError as exc:
            raise CursusError(f"cannot write to the output folder {self.out_dir}: {exc.strerror or exc}") from None
        finally:
            self.created = False
            self.discard()

    def _swap(self, staged: Path, final: Path) -> None:
        """Replace a whole folder: the old one disappears only once the new one is complete."""
        trash = self.staging / f".old-{final.name}"
        if final.exists():
            os.replace(final, trash)
        os.replace(staged, final)

    def _merge(self, staged: Path, final: Path) -> None:
        """Move each staged file into a folder that keeps files of other builds, one atomic rename each."""
        for path in sorted(p for p in staged.rglob("*") if p.is_file()):
            target = final / path.relative_to(staged)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)

    def _update(self, folder: OutputFolder, final: Path) -> None:
        """Bring a published folder up to date: remove the files this build no longer makes (and the
        folders that leaves empty), then move in the files that changed."""
        _, sizes = folder.published
        stale = sorted(sizes.keys() - folder.written)
        for key in stale:
            (final / key).unlink(missing_ok=True)
        emptied = {parent for key in stale for parent in PurePosixPath(key).parents if parent.name}
        for parent in sorted(emptied, key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):  # a folder that still holds files stays
                (final / parent).rmdir()
        self._merge(folder.root, final)

    def discard(self) -> None:
        """Remove the staging area, and the output folder if this build made it and it stayed empty;
        the published output is untouched."""
        shutil.rmtree(self.staging, ignore_errors=True)
        if self.created:
            with contextlib.suppress(OSError):
                self.out_dir.rmdir()

    def __enter__(self) -> OutputTree:
        return self

    def __exit__(self, *exc) -> None:
        self.discard()


def _published(folder: Path) -> tuple[Path, dict[str, int]] | None:
    """Return a published folder with each file's relative path and size, or None to replace it whole:
    when there is none, or when it holds anything but plain files and folders (a link a person
    made there must not lead a build's files elsewhere)."""
    if not folder.is_dir() or folder.is_symlink():
        return None
    sizes: dict[str, int] = {}
    pending = [(folder, "")]
    while pending:
        path, prefix = pending.pop()
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_symlink():
                    return None
                if entry.is_dir():
                    pending.append((Path(entry.path), f"{prefix}{entry.name}/"))
                elif entry.is_file():
                    sizes[prefix + entry.name] = entry.stat().st_size
                else:
                    return None
    return folder, sizes
