"""Preparing a batch: read, check, fingerprint, parse, chunk and embed its documents.

This is the CPU-heavy half of ingestion, so it runs in a pool (processes for
the offline embedder, whose work holds the GIL; see `job`). It writes nothing:
it returns, per document, the records the job then publishes through the sync
engine, or why the document was skipped, or that it is unchanged. A document is
unchanged when its fingerprint (bytes + chunking and embedding settings) is the
one the job's index holds for its URI: it is then not even parsed.
"""

from __future__ import annotations

import os
import posixpath
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import numpy as np

from argo_agents.ingest.chunking import chunk_blocks
from argo_agents.ingest.metadata import (
    PARSER_VERSION,
    chunk_id_for,
    content_hash,
    doc_id_for,
    file_uri,
    fingerprint,
    guess_language,
)
from argo_agents.ingest.parsers import SUFFIXES, ParseError, parse, pdf_text
from argo_agents.ingest.sources import FileItem, Item, RecordItem, Scope, Skip

MAX_LISTED = 100  # headings and links kept in a document's metadata
SUMMARY_CHARS = 500
SNIFF_BYTES = 8192
PARENT_CHECK_S = 1.0  # how often a pool worker checks that its job still runs


@dataclass(frozen=True)
class PrepareConfig:
    """What the pool's workers need besides the items (picklable)."""

    chunk_chars: int
    chunk_overlap: int
    max_bytes: int
    embedder_key: str
    scope: Scope

    @property
    def settings_key(self) -> str:
        """The part of a fingerprint that is not the document's bytes."""
        return f"p{PARSER_VERSION}|{self.chunk_chars}|{self.chunk_overlap}|{self.embedder_key}"


@dataclass
class PreparedDoc:
    """A new or changed document: its chunk records and its document record."""

    doc_id: str
    uri: str
    path: str
    fingerprint: str
    chunks: list[dict[str, Any]]
    doc: dict[str, Any]


@dataclass
class BatchResult:
    """What one batch of items came to."""

    docs: list[PreparedDoc] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)


class Preparer:
    """Turns items into `BatchResult`s with one embedder."""

    def __init__(self, config: PrepareConfig, embedder: Any) -> None:
        self.config = config
        self.embedder = embedder

    def run(self, items: list[Item], known: dict[str, str]) -> BatchResult:
        """Prepare ``items``; ``known`` maps doc id → the fingerprint already ingested."""
        out = BatchResult()
        drafts: list[tuple[PreparedDoc, list[str]]] = []
        for item in items:
            if isinstance(item, Skip):
                out.skips.append(item)
                continue
            got = self._read(item)
            if isinstance(got, Skip):
                out.skips.append(got)
                continue
            raw, text, fmt = got
            doc_id = doc_id_for(item.uri)
            fp = fingerprint(raw, self.config.settings_key)
            if known.get(doc_id) == fp:
                out.unchanged.append(doc_id)
                continue
            try:
                draft = self._build(item, doc_id, fp, raw, text, fmt)
            except ParseError as exc:
                out.skips.append(Skip(item.path, "unreadable", str(exc)))
                continue
            if isinstance(draft, Skip):
                out.skips.append(draft)
            else:
                drafts.append(draft)
        texts = [t for _, ts in drafts for t in ts]
        if texts:
            vectors = np.round(
                np.asarray(self.embedder.embed_documents(texts), dtype=np.float64), 6
            ).tolist()
            i = 0
            for doc, _texts in drafts:
                for chunk in doc.chunks:
                    chunk["embedding"] = vectors[i]
                    i += 1
                out.docs.append(doc)
        return out

    def _read(self, item: FileItem | RecordItem) -> tuple[bytes, str, str] | Skip:
        if isinstance(item, RecordItem):
            return item.raw, item.text, item.fmt
        limit = self.config.max_bytes
        try:
            size = os.stat(item.path).st_size
            if size > limit:
                return Skip(item.path, "too_large", f"{size} bytes, the limit is {limit}")
            with open(item.path, "rb") as fh:
                raw = fh.read(limit + 1)
        except OSError as exc:
            reason = "symlink_loop" if exc.errno == 40 else "unreadable"
            return Skip(item.path, reason, exc.strerror or str(exc))
        if len(raw) > limit:  # grew since the stat
            return Skip(item.path, "too_large", f"over {limit} bytes")
        if not raw.strip():
            return Skip(item.path, "empty", "the file holds no text")
        if item.fmt == "pdf":
            try:
                return raw, pdf_text(raw), "text"
            except ParseError as exc:
                return Skip(item.path, "unreadable", str(exc))
        if b"\x00" in raw[:SNIFF_BYTES]:
            return Skip(item.path, "binary", "NUL bytes: not a text file")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return Skip(item.path, "invalid_utf8", f"byte {exc.start}: {exc.reason}")
        return raw, text, item.fmt

    def _build(
        self, item: FileItem | RecordItem, doc_id: str, fp: str, raw: bytes, text: str, fmt: str
    ) -> tuple[PreparedDoc, list[str]] | Skip:
        hint = item.title if isinstance(item, RecordItem) else ""
        parsed = parse(text, fmt, title_hint=hint)
        if not parsed.has_text:
            return Skip(item.path, "empty", "no text after parsing")
        if not parsed.title and isinstance(item, FileItem):
            parsed.title = os.path.splitext(os.path.basename(item.path))[0]
        cfg = self.config
        drafts = chunk_blocks(parsed.blocks, cfg.chunk_chars, cfg.chunk_overlap)
        n = len(drafts)
        chunks = [
            {
                "text": c.text,
                "doc_id": doc_id,
                "uri": item.uri,
                "title": parsed.title,
                "heading": c.heading,
                "heading_path": list(c.headings),
                "position": c.position,
                "offset": c.offset,
                "chunks": n,
            }
            for c in drafts
        ]
        targets = self._link_targets(item, parsed.links, doc_id)
        summary = next((b.text for b in parsed.blocks if not b.level and b.text.strip()), "")
        doc = {
            "title": parsed.title,
            "uri": item.uri,
            "format": fmt,
            "size": len(raw),
            "language": guess_language(text),
            "content_hash": content_hash(raw),
            "fingerprint": fp,
            "headings": parsed.headings[:MAX_LISTED],
            "links": parsed.links[:MAX_LISTED],
            "chunks": n,
            "summary": summary[:SUMMARY_CHARS],
            "relations": [
                {"type": "HAS_CHUNK", "label": "Chunk", "id": chunk_id_for(doc_id, i)}
                for i in range(n)
            ]
            + [{"type": "LINKS_TO", "label": "Document", "id": t} for t in targets],
        }
        embed_texts = [f"{parsed.title}\n{c.heading}\n{c.text}" for c in drafts]
        return PreparedDoc(doc_id, item.uri, item.path, fp, chunks, doc), embed_texts

    def _link_targets(self, item: FileItem | RecordItem, links: list[str], own: str) -> list[str]:
        """Documents of this job that ``links`` point to (relative paths or file URIs)."""
        if not isinstance(item, FileItem):
            return []
        base = os.path.dirname(os.path.abspath(item.path))
        found: list[str] = []
        for link in links:
            parts = urlsplit(link)
            if parts.scheme not in ("", "file") or not parts.path:
                continue
            rel = unquote(parts.path)
            target = rel if posixpath.isabs(rel) else posixpath.normpath(posixpath.join(base, rel))
            if os.path.splitext(target)[1].lower() not in SUFFIXES or not os.path.isfile(target):
                continue
            uri = file_uri(target)
            tid = doc_id_for(uri)
            if tid != own and self.config.scope.covers(uri) and tid not in found:
                found.append(tid)
        return found


_PREPARER: Preparer | None = None


def init_process(config: PrepareConfig, settings: Any) -> None:
    """Pool initializer: one embedder per worker process, built from the settings."""
    from argo_agents.stores.embeddings import make_embedder

    global _PREPARER
    _PREPARER = Preparer(config, make_embedder(settings))
    threading.Thread(
        target=_exit_with_parent, args=(os.getppid(),), daemon=True, name="parent-watch"
    ).start()


def _exit_with_parent(parent: int) -> None:
    """Exit once the job that started this worker is gone: a SIGKILLed job cannot stop its
    pool, and its workers were left behind (orphans holding memory) until this watch."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    os._exit(0)


def run_in_process(items: list[Item], known: dict[str, str]) -> BatchResult:
    """Pool task: prepare one batch with this process's embedder."""
    assert _PREPARER is not None, "init_process was not run in this worker"
    return _PREPARER.run(items, known)
