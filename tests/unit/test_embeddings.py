"""The offline hashing embedder and the embedder factory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from argo_agents.config import Settings
from argo_agents.stores.embeddings import (
    Embedder,
    HashingEmbedder,
    OpenAIEmbedder,
    cosine,
    make_embedder,
)

TEXT = "Deploy the payment service to production after the load test"


def test_hashing_embedder_is_deterministic_across_instances_and_processes() -> None:
    here = HashingEmbedder(384).embed_query(TEXT)
    assert here == HashingEmbedder(384).embed_documents([TEXT])[0]
    code = (
        "import json; from argo_agents.stores.embeddings import HashingEmbedder; "
        f"print(json.dumps(HashingEmbedder(384).embed_query({TEXT!r})))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}  # Python's hash() would change here
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert json.loads(out.stdout) == here


@pytest.mark.parametrize("text", [TEXT, "x", "🚀 émoji", "", "!!!", "word " * 5000])
def test_hashing_vectors_are_unit_length_with_the_configured_dim(text: str) -> None:
    vec = HashingEmbedder(64).embed_query(text)
    assert len(vec) == 64
    assert np.linalg.norm(vec) == pytest.approx(1.0)


def test_similar_texts_are_closer_than_unrelated_ones() -> None:
    emb = HashingEmbedder()
    base, near, far = emb.embed_documents(
        [
            TEXT,
            "Deploy the payments service to production once load testing passes",
            "Write a short poem about autumn leaves in the park",
        ]
    )
    assert cosine(base, near) > cosine(base, far) + 0.2
    assert cosine(base, base) == pytest.approx(1.0)


def test_make_embedder_auto_is_offline_hashing_without_a_key() -> None:
    emb = make_embedder(Settings(_env_file=None, embedding_dim=128))  # type: ignore[call-arg]
    assert isinstance(emb, HashingEmbedder) and emb.dim == 128
    assert isinstance(emb, Embedder)


def test_make_embedder_openai_only_when_chosen() -> None:
    settings = Settings(_env_file=None, openai_api_key="sk-test")  # type: ignore[call-arg]
    assert isinstance(make_embedder(settings), HashingEmbedder)  # a key alone: still offline
    assert isinstance(make_embedder(settings, "openai"), OpenAIEmbedder)  # built, never called


def test_make_embedder_errors_name_the_choices() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="auto, hashing, openai, sentence-transformers"):
        make_embedder(settings, "word2vec")
    with pytest.raises(ValueError, match="ARGO_EMBEDDING_MODEL_PATH"):
        make_embedder(settings, "sentence-transformers")


def reference_vector(text: str, dim: int) -> list[float]:
    """The hashing embedder as first written (one hash and one `+=` per feature): the
    vectors already in users' stores were made by it."""
    import hashlib
    import re
    import unicodedata

    words = re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold())
    feats = [f"w:{w}" for w in words] + [
        f"b:{a} {b}" for a, b in zip(words, words[1:], strict=False)
    ]
    for w in words:
        feats += [f"c:{f'<{w}>'[i : i + 3]}" for i in range(len(w))]
    counts: dict[str, int] = {}
    for f in feats:
        counts[f] = counts.get(f, 0) + 1
    vec = np.zeros(dim)
    for feat, tf in counts.items():
        h = int.from_bytes(hashlib.blake2b(feat.encode(), digest_size=8).digest(), "little")
        vec[h % dim] += (1.0 if h >> 63 == 0 else -1.0) * (1.0 + np.log(tf))
    norm = float(np.linalg.norm(vec))
    if norm == 0.0:
        vec[0] = 1.0
        return vec.tolist()
    return (vec / norm).tolist()


def test_cached_hashing_gives_the_vectors_already_stored_bit_for_bit() -> None:
    # A changed vector would make every stored one a stranger to new queries.
    texts = [TEXT, "x", "🚀 émoji", "", "!!!", "latency latency cache " * 40, TEXT.upper()]
    emb = HashingEmbedder(384)
    for _ in range(2):  # the second pass is served from the caches
        assert emb.embed_documents(texts) == [reference_vector(t, 384) for t in texts]
