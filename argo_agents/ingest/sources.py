"""Walking the paths of a job: files, directories and globs, streamed one item at a time.

Directories are walked in sorted order, following symlinks but never into a
directory already visited (a symlink loop is reported once and skipped).
Inside directories only the known suffixes (`parsers.SUFFIXES`) are taken; a
file named explicitly is read whatever its suffix. A JSON Lines file yields one
record per line (a document each, with a ``text`` field). Nothing here holds
more than one record in memory.
"""

from __future__ import annotations

import fnmatch
import glob
import os
from collections.abc import Iterator
from dataclasses import dataclass

import orjson

from argo_agents.ingest.metadata import file_uri
from argo_agents.ingest.parsers import SUFFIXES

_GLOB_CHARS = frozenset("*?[")
TEXT_FIELDS = ("text", "content", "body")


@dataclass(frozen=True, slots=True)
class FileItem:
    """A file to read, parse and chunk."""

    path: str
    uri: str
    fmt: str


@dataclass(frozen=True, slots=True)
class RecordItem:
    """One JSON Lines record: already decoded, its text ready."""

    path: str
    uri: str
    text: str
    title: str
    fmt: str
    raw: bytes


@dataclass(frozen=True, slots=True)
class Skip:
    """A file or record that is not ingested, and why."""

    path: str
    reason: str
    detail: str = ""


Item = FileItem | RecordItem | Skip


@dataclass(frozen=True, slots=True)
class Scope:
    """Which stored documents a job's paths cover (what ``--prune`` may delete)."""

    prefixes: tuple[str, ...]
    exact: tuple[str, ...]
    patterns: tuple[str, ...]

    def covers(self, uri: str) -> bool:
        """Whether the document at ``uri`` lies under the job's paths."""
        base = uri.split("#", 1)[0]
        return (
            base in self.exact
            or any(uri.startswith(p) for p in self.prefixes)
            or any(fnmatch.fnmatchcase(base, p) for p in self.patterns)
        )


def scope_of(paths: list[str]) -> Scope:
    """The `Scope` of a job's paths."""
    prefixes, exact, patterns = [], [], []
    for p in paths:
        if os.path.isdir(p):
            prefixes.append(file_uri(p).rstrip("/") + "/")
        elif _is_glob(p) and not os.path.exists(p):
            patterns.append(file_uri(p).replace("%2A", "*").replace("%3F", "?"))
        else:
            exact.append(file_uri(p))
    return Scope(tuple(prefixes), tuple(exact), tuple(patterns))


def _is_glob(path: str) -> bool:
    return any(c in _GLOB_CHARS for c in path)


def walk(paths: list[str], max_bytes: int, *, records: bool = True) -> Iterator[Item]:
    """Every item under ``paths``, in a stable order; JSON Lines files expanded into
    their records (or, with ``records=False``, one `Skip`-free count item per line)."""
    seen_dirs: set[tuple[int, int]] = set()
    for p in paths:
        if os.path.isdir(p):
            yield from _walk_dir(p, max_bytes, seen_dirs, records)
        elif os.path.lexists(p):
            yield from _file(p, _format_of(p) or "text", max_bytes, records)
        elif _is_glob(p):
            matched = sorted(glob.iglob(p, recursive=True))
            if not matched:
                yield Skip(p, "not_found", "the pattern matches nothing")
            for m in matched:
                if os.path.isdir(m):
                    yield from _walk_dir(m, max_bytes, seen_dirs, records)
                else:
                    yield from _file(m, _format_of(m) or "text", max_bytes, records)
        else:
            yield Skip(p, "not_found", "no such file or directory")


def _format_of(path: str) -> str | None:
    return SUFFIXES.get(os.path.splitext(path)[1].lower())


def _walk_dir(
    root: str, max_bytes: int, seen: set[tuple[int, int]], records: bool
) -> Iterator[Item]:
    try:
        st = os.stat(root)
    except OSError as exc:
        yield Skip(root, "unreadable", exc.strerror or str(exc))
        return
    if (st.st_dev, st.st_ino) in seen:
        return
    seen.add((st.st_dev, st.st_ino))
    errors: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=errors.append):
        while errors:
            err = errors.pop()
            yield Skip(err.filename or dirpath, "unreadable", err.strerror or str(err))
        keep = []
        for d in sorted(dirnames):
            full = os.path.join(dirpath, d)
            try:
                dst = os.stat(full)
            except OSError as exc:  # a dangling link, or a loop the kernel refused to resolve
                reason = "symlink_loop" if exc.errno == 40 else "unreadable"
                yield Skip(full, reason, exc.strerror or str(exc))
                continue
            key = (dst.st_dev, dst.st_ino)
            if key in seen:
                if os.path.islink(full):
                    yield Skip(full, "symlink_loop", "links to a directory already walked")
                continue
            seen.add(key)
            keep.append(d)
        dirnames[:] = keep
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            fmt = _format_of(full)
            if fmt is not None:
                yield from _file(full, fmt, max_bytes, records)


def _file(path: str, fmt: str, max_bytes: int, records: bool) -> Iterator[Item]:
    if os.path.isdir(path):
        return
    if not os.path.exists(path):
        reason = "symlink_loop" if _is_loop(path) else "unreadable"
        yield Skip(path, reason, "the symlink points nowhere")
        return
    if fmt != "jsonl":
        yield FileItem(path, file_uri(path), fmt)
        return
    yield from _records(path, max_bytes, records)


def _is_loop(path: str) -> bool:
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno == 40  # ELOOP
    return False


def _records(path: str, max_bytes: int, decode: bool) -> Iterator[Item]:
    """One item per non-blank line; each decoded into a `RecordItem` or a `Skip`."""
    base = file_uri(path)
    try:
        fh = open(path, "rb")  # noqa: SIM115  (closed below; a generator holds it open)
    except OSError as exc:
        yield Skip(path, "unreadable", exc.strerror or str(exc))
        return
    with fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{n}"
            if not decode:
                yield Skip(where, "unsupported", "count only")
                continue
            if len(line) > max_bytes:
                yield Skip(where, "too_large", f"{len(line)} bytes, the limit is {max_bytes}")
                continue
            yield _record(where, base, n, line)


def _record(where: str, base: str, n: int, line: bytes) -> Item:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Skip(where, "invalid_utf8", f"byte {exc.start}: {exc.reason}")
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return Skip(where, "invalid_record", f"not JSON: {exc}")
    if not isinstance(value, dict):
        return Skip(where, "invalid_record", "a record must be a JSON object")
    text = next((value[k] for k in TEXT_FIELDS if isinstance(value.get(k), str)), None)
    if text is None:
        return Skip(where, "invalid_record", f"no text field ({' / '.join(TEXT_FIELDS)})")
    if not text.strip():
        return Skip(where, "empty", "the text field is blank")
    rid = value.get("id")
    key = str(rid) if isinstance(rid, str | int) and str(rid) else f"L{n}"
    fmt = str(value.get("format") or "text")
    title = value.get("title")
    return RecordItem(
        path=where,
        uri=f"{base}#{key}",
        text=text,
        title=title if isinstance(title, str) else "",
        fmt=fmt if fmt in ("markdown", "rst", "html", "text") else "text",
        raw=line.rstrip(b"\r\n"),
    )
