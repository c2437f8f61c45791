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
