"""Identity and metadata of documents: ids from source URIs, content hashes, language."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

PARSER_VERSION = "1"  # raise it when parsing or chunking changes: every document is re-chunked
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset("the and of to in is that for it with as on are this be by or".split()),
    "de": frozenset("der die und das ist nicht mit den von zu ein eine auf für sich".split()),
    "fr": frozenset("le la les et des est une pour que dans du pas sur avec qui".split()),
    "es": frozenset("el la los las y que de en un una es por con para del".split()),
    "it": frozenset("il la di che e un una per non con del sono della gli".split()),
    "pt": frozenset("o a os as e que de em um uma para com não do da".split()),
    "nl": frozenset("de het een en van is dat op te zijn niet met voor".split()),
}


def doc_id_for(uri: str) -> str:
    """A document's entity id: stable for its source URI, safe in every store."""
    return "doc-" + hashlib.sha256(uri.encode("utf-8")).hexdigest()[:32]


def chunk_id_for(doc_id: str, position: int) -> str:
    """The entity id of a document's chunk at ``position``."""
    return f"{doc_id}-{position}"


def file_uri(path: str) -> str:
    """``file://`` URI of an absolute path (symlinks kept: a document is the path you gave)."""
    return Path(os.path.abspath(path)).as_uri()


def path_of(uri: str) -> str | None:
    """The local path of a ``file://`` URI (None for other schemes)."""
    parts = urlsplit(uri)
    return unquote(parts.path) if parts.scheme == "file" else None


def fingerprint(raw: bytes, settings_key: str) -> str:
    """What decides "unchanged": the bytes, and how they are chunked and embedded."""
    h = hashlib.sha256(raw)
    h.update(b"\0" + settings_key.encode())
    return h.hexdigest()


def content_hash(raw: bytes) -> str:
    """SHA-256 of the document's bytes."""
    return hashlib.sha256(raw).hexdigest()


def guess_language(text: str) -> str:
    """ISO 639-1 code from stop-word counts in the first 4,000 characters, else ``und``."""
    words = _WORD.findall(text[:4000].casefold())
    if len(words) < 8:
        return "und"
    scores = {lang: sum(w in stop for w in words) for lang, stop in _STOPWORDS.items()}
    best = max(scores, key=lambda k: scores[k])
    ranked = sorted(scores.values(), reverse=True)
    if ranked[0] < 3 or ranked[0] < 1.5 * ranked[1]:
        return "und"
    return best
