"""A build's output files: globs, base directory, discarded paths and exclusions, zipped (pure).

Buildspec reference, ``artifacts`` (build-spec-ref.html#build-spec.artifacts): ``files`` are paths
relative to the source directory, or to ``base-directory`` when set, where ``*`` matches within
one path segment and ``**`` any number of segments (``**/*`` is every file); ``exclude-paths``
uses the same patterns, relative to the base directory; ``discard-paths: yes`` puts every file at
the artifact's root. The archive keeps the paths relative to the base directory.

CodeBuild's errors, kept word for word as phase contexts of ``UPLOAD_ARTIFACTS``
(``CLIENT_ERROR``): "no matching artifact paths found" when the patterns match no file, and
"no matching base directory path found for <dir>" when the base directory does not exist.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from functools import lru_cache
from pathlib import Path

from .buildspec import ArtifactSpec


class ArtifactError(Exception):
    """An artifact cannot be made; ``str(e)`` is CodeBuild's message."""


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern:
    pattern = pattern.strip()
    while pattern.startswith("./"):
        pattern = pattern[2:]
    pattern = pattern.lstrip("/")
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:[^/]+/)*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def matches(pattern: str, path: str) -> bool:
    """Whether the relative POSIX ``path`` matches a buildspec glob."""
    return _compile(pattern).match(path) is not None


def all_files(root: Path) -> list[str]:
    """Every file under ``root`` (following no symbolic link to a folder), as sorted POSIX paths."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        rel = Path(folder).relative_to(root)
        for name in sorted(files):
            found.append((rel / name).as_posix() if str(rel) != "." else name)
    return found


def select(files: list[str], patterns: list[str], excludes: list[str]) -> list[str]:
    """The files that match one of ``patterns`` and none of ``excludes``, in order."""
    return [
        f
        for f in files
        if any(matches(p, f) for p in patterns) and not any(matches(x, f) for x in excludes)
    ]


def collect(src_dir: Path, spec: ArtifactSpec) -> list[tuple[Path, str]]:
    """(file on disk, name in the archive) for one artifact; ``ArtifactError`` as CodeBuild says."""
    base = src_dir
    if spec.base_directory:
        base = src_dir / spec.base_directory.strip("/")
        if not base.is_dir():
            raise ArtifactError(f"no matching base directory path found for {spec.base_directory}")
    chosen = select(all_files(base), spec.files, spec.exclude_paths)
    if not chosen:
        raise ArtifactError("no matching artifact paths found")
    entries = []
    for rel in chosen:
        name = rel.rsplit("/", 1)[-1] if spec.discard_paths else rel
        entries.append((base / rel, name))
    return entries


def zip_entries(entries: list[tuple[Path, str]]) -> bytes:
    """A ZIP of the entries, keeping each file's mode (so built programs stay executable)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        seen = set()
        for path, name in entries:
            if name in seen:
                continue  # discard-paths can fold two files onto one name: the first wins
            seen.add(name)
            archive.write(path, name)
    return buffer.getvalue()


def extract(body: bytes, target: Path) -> None:
    """Unpacks a source ZIP into ``target``, refusing paths that leave it, keeping modes."""
    target.mkdir(parents=True, exist_ok=True)
    root = target.resolve()
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        for info in archive.infolist():
            dest = (target / info.filename).resolve()
            if root != dest and root not in dest.parents:
                raise ArtifactError(
                    f"source archive entry {info.filename} leaves the source folder"
                )
            if info.is_dir():
                dest.mkdir(parents=True, exist_ok=True)
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as src, open(dest, "wb") as out:
                out.write(src.read())
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(dest, mode)
