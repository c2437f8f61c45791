"""Text embedders: an offline hashing embedder by default, OpenAI or a local model by choice.

`make_embedder` picks one from settings. Heavy libraries are imported only
when their embedder is built.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from argo_agents.config.settings import Settings

PROVIDERS = ("auto", "hashing", "openai", "sentence-transformers")
_WORD = re.compile(r"\w+", re.UNICODE)
_CACHE_LIMIT = 200_000  # entries per cache of the hashing embedder (~40 MB at most)


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into fixed-size vectors for the vector store."""

    dim: int

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One vector per text."""

    def embed_query(self, text: str) -> list[float]:
        """The vector of a search text."""


class HashingEmbedder:
    """Deterministic, offline feature-hashing embedder (no model, no network).

    Features: normalised word unigrams and bigrams, and character trigrams of
    each word, hashed with BLAKE2b (stable across processes, unlike `hash()`)
    into ``dim`` buckets with a sign bit so collisions cancel on average;
    weights are sublinear (1 + log tf) and the vector is L2-normalised, so a
    dot product is a cosine similarity.

    Quality limits: it measures lexical overlap only. It knows no synonyms
    ("car" and "automobile" are unrelated), no meaning, no word order beyond
    bigrams, and no language beyond shared character trigrams. It is the
    offline default so similar-case retrieval works without a model; configure
    OpenAI or a sentence-transformers model for semantic search.
    """

    def __init__(self, dim: int = 384) -> None:
        if dim < 8:
            raise ValueError(f"dim must be at least 8, got {dim}")
        self.dim = dim
        # Words, trigrams and term counts repeat across a corpus: hashing each feature
        # once (and each word's trigrams once) made ingestion's embedding ~4x cheaper.
        # Bounded so a long-lived process cannot grow without limit; the values are
        # exactly what hashing gives, so vectors do not depend on what was cached.
        self._buckets: dict[str, tuple[int, float]] = {}
        self._trigrams: dict[str, list[str]] = {}
        self._weights: dict[int, float] = {}

    def _features(self, text: str) -> list[str]:
        norm = unicodedata.normalize("NFKC", text).casefold()
        words = _WORD.findall(norm)
        feats = [f"w:{w}" for w in words]
        feats += [f"b:{a} {b}" for a, b in zip(words, words[1:], strict=False)]
        for w in words:
            grams = self._trigrams.get(w)
            if grams is None:
                padded = f"<{w}>"
                grams = [f"c:{padded[i : i + 3]}" for i in range(len(padded) - 2)]
                if len(self._trigrams) < _CACHE_LIMIT:
                    self._trigrams[w] = grams
            feats += grams
        return feats

    def _bucket(self, feat: str) -> tuple[int, float]:
        """The feature's bucket and sign (BLAKE2b: stable across processes)."""
        hit = self._buckets.get(feat)
        if hit is None:
            digest = hashlib.blake2b(feat.encode("utf-8"), digest_size=8).digest()
            h = int.from_bytes(digest, "little")
            hit = (h % self.dim, 1.0 if h >> 63 == 0 else -1.0)
            if len(self._buckets) < _CACHE_LIMIT:
                self._buckets[feat] = hit
        return hit

    def _weight(self, tf: int) -> float:
        """Sublinear term weight 1 + log tf (numpy's log, as the stored vectors used)."""
        w = self._weights.get(tf)
        if w is None:
            w = self._weights[tf] = 1.0 + float(np.log(tf))
        return w

    def _vector(self, text: str) -> list[float]:
        counts = Counter(self._features(text))
        if not counts:
            # Empty or punctuation-only text: a fixed unit vector keeps cosine defined.
            return [1.0] + [0.0] * (self.dim - 1)
        index = np.empty(len(counts), dtype=np.intp)
        weight = np.empty(len(counts), dtype=np.float64)
        for k, (feat, tf) in enumerate(counts.items()):
            bucket, sign = self._bucket(feat)
            index[k], weight[k] = bucket, sign * self._weight(tf)
        # summed in the features' order, as one `+=` per feature did
        # (already float64 with weights; numpy's stubs say an integer array)
        vec = np.bincount(index, weights=weight, minlength=self.dim).astype(np.float64, copy=False)
        norm = float(np.linalg.norm(vec))
        if norm == 0.0:  # every feature cancelled out
            vec[0] = 1.0
            return vec.tolist()
        return (vec / norm).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One unit vector per text."""
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        """Same space as documents (the embedding is symmetric)."""
        return self._vector(text)


class OpenAIEmbedder:
    """OpenAI (or any compatible endpoint) embeddings through langchain-openai."""

    def __init__(
        self,
        model: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        dimensions: int | None = None,
    ) -> None:
        from langchain_openai import OpenAIEmbeddings

        # No token counting: it would fetch tiktoken's encoding files (or a Hugging
        # Face tokenizer) from the internet at run time; the server truncates instead.
        kwargs: dict[str, Any] = {"model": model, "check_embedding_ctx_length": False}
        if api_key:
            kwargs["api_key"] = api_key
        if base_url:
            kwargs["base_url"] = base_url
        if dimensions:
            kwargs["dimensions"] = dimensions
        self._inner = OpenAIEmbeddings(**kwargs)
        self.dim = int(dimensions or 0)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Call the embeddings API (batched by langchain-openai)."""
        vectors = self._inner.embed_documents(texts)
        if vectors and not self.dim:
            self.dim = len(vectors[0])
        return vectors

    def embed_query(self, text: str) -> list[float]:
        """Embed one search text."""
        return self._inner.embed_query(text)


class SentenceTransformerEmbedder:
    """A local sentence-transformers model loaded from ``path`` (no download)."""

    def __init__(self, path: str) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ImportError(
                "the sentence-transformers embedder needs the `sentence-transformers` package: "
                "run `pip install sentence-transformers` in ARGO's environment, or set "
                "ARGO_EMBEDDING_PROVIDER=hashing"
            ) from exc
        self._model = SentenceTransformer(path)
        dim = self._model.get_sentence_embedding_dimension()
        self.dim = int(dim or 0)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Encode texts as unit vectors."""
        out = self._model.encode(list(texts), normalize_embeddings=True)
        return [list(map(float, v)) for v in out]

    def embed_query(self, text: str) -> list[float]:
        """Encode one text."""
        return self.embed_documents([text])[0]


def make_embedder(settings: Settings, provider: str | None = None) -> Embedder:
    """The embedder named by ``provider`` or ``settings.embedding_provider``.

    "auto" means the local sentence-transformers model when
    ``ARGO_EMBEDDING_MODEL_PATH`` names one, otherwise the offline hashing
    embedder. A chat endpoint never implies remote embeddings: a local
    OpenAI-compatible chat server rarely serves them, and they are chosen only
    by ``ARGO_EMBEDDING_PROVIDER=openai``.
    """
    choice = provider or settings.embedding_provider
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    if choice == "auto":
        choice = "sentence-transformers" if settings.embedding_model_path else "hashing"
    if choice == "hashing":
        return HashingEmbedder(settings.embedding_dim)
    if choice == "openai":
        return OpenAIEmbedder(
            settings.embedding_model,
            api_key=key,
            base_url=settings.openai_base_url,
            dimensions=settings.embedding_dim,
        )
    if choice == "sentence-transformers":
        if not settings.embedding_model_path:
            raise ValueError(
                "ARGO_EMBEDDING_MODEL_PATH must name a local model directory "
                "for the sentence-transformers embedder"
            )
        return SentenceTransformerEmbedder(settings.embedding_model_path)
    raise ValueError(f"unknown embedding provider {choice!r}; choose from {', '.join(PROVIDERS)}")


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity of two vectors (for tests and diagnostics)."""
    va, vb = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    denom = float(np.linalg.norm(va) * np.linalg.norm(vb))
    return float(va @ vb / denom) if denom else 0.0
