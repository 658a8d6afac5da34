"""The only module that writes to the output folder: staged, confined, collision-checked, atomic."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from cursus.diagnostics import CursusError


class OutputFolder:
    """One format's folder inside the staging area; every write goes through here."""

    def __init__(self, root: Path):
        self.root = root
        self.written: set[str] = set()
        self._folded: set[str] = set()
        """The written paths case-folded: two names that differ only in case collide on many disks."""
        self._folders: set[Path] = set()
        """Folders already created, so each file costs one system call less."""

    def _target(self, relative: str) -> Path:
        """Return the staged path for *relative*, refusing paths that leave the folder or repeat."""
        posix = PurePosixPath(relative)
        if posix.is_absolute() or ".." in posix.parts or not posix.parts:
            raise ValueError(f"output path escapes the output folder: {relative!r}")
        self.claim(posix.as_posix())
        target = self.root.joinpath(*posix.parts)
        if target.parent not in self._folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(target.parent)
        return target

    def claim(self, key: str) -> None:
        """Record that the file *key* is written (here, or by a forked process); refuse a second time."""
        if key.casefold() in self._folded:
            raise ValueError(f"output file written twice: {key}")
        self.written.add(key)
        self._folded.add(key.casefold())

    def write_bytes(self, relative: str, data: bytes) -> Path:
        """Write a file of bytes."""
        target = self._target(relative)
        target.write_bytes(data)
        return target

    def write_text(self, relative: str, text: str) -> Path:
        """Write a UTF-8 text file with Unix line endings."""
        return self.write_bytes(relative, text.encode("utf-8"))

    def copy(self, source: Path, relative: str) -> Path:
        """Copy a source file into the output."""
        return self.write_bytes(relative, Path(source).read_bytes())

    def scratch(self) -> Path:
        """Return a private folder for a builder's intermediate files; it is never published."""
        path = self.root.parent / f".scratch-{self.root.name}"
        path.mkdir(exist_ok=True)
        return path


class OutputTree:
    """A build's staging area below the output folder; ``commit`` publishes it all at once."""

    def __init__(self, out_dir: Path):
        self.out_dir = Path(out_dir)
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
            self.folders[name] = (OutputFolder(root), merge)
        return self.folders[name][0]

    def commit(self) -> None:
        """Publish every staged folder: replace whole folders, or merge files into shared ones."""
        try:
            for name, (folder, merge) in sorted(self.folders.items()):
                final = self.out_dir / name
                if merge:
                    self._merge(folder.root, final)
                else:
                    self._swap(folder.root, final)
        except OSError as exc:
            raise CursusError(f"cannot write to the output folder {self.out_dir}: {exc.strerror or exc}") from None
        finally:
            self.discard()

    def _swap(self, staged: Path, final: Path) -> None:
        """Replace a whole folder: the old one disappears only once the new one is complete."""
        trash = self.staging / f".old-{final.name}"
        if final.exists():
            os.replace(final, trash)
        os.replace(staged, final)

    def _merge(self, staged: Path, final: Path) -> None:
        """Move each staged file into a folder other builds also write to, one atomic rename each."""
        for path in sorted(p for p in staged.rglob("*") if p.is_file()):
            target = final / path.relative_to(staged)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)

    def discard(self) -> None:
        """Remove the staging area; the published output is untouched."""
        shutil.rmtree(self.staging, ignore_errors=True)

    def __enter__(self) -> OutputTree:
        return self

    def __exit__(self, *exc) -> None:
        self.discard()
