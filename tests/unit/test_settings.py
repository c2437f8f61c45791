"""Settings precedence: explicit argument > environment > default."""

from __future__ import annotations

from pathlib import Path

from argo_agents.config import Settings


def test_environment_overrides_default_and_argument_overrides_environment(monkeypatch):
    assert Settings(_env_file=None).cache_ttl.knowledge == 3600
    monkeypatch.setenv("ARGO_CACHE_TTL__KNOWLEDGE", "42")
    monkeypatch.setenv("ARGO_DATA_DIR", "/srv/argo")
    from_env = Settings(_env_file=None)
    assert from_env.cache_ttl.knowledge == 42
    assert from_env.data_dir == Path("/srv/argo")
    assert Settings(_env_file=None, data_dir=Path("/x")).data_dir == Path("/x")


def test_dotenv_file_is_read_below_the_environment(tmp_path, monkeypatch):
    env = tmp_path / ".env"
    env.write_text("ARGO_LLM_MODEL=from-file\nARGO_NEO4J_DATABASE=file-db\n")
    monkeypatch.setenv("ARGO_NEO4J_DATABASE", "env-db")
    settings = Settings(_env_file=env)
    assert settings.llm_model == "from-file"
    assert settings.neo4j_database == "env-db"


def test_llm_is_off_without_key_or_base_url():
    assert not Settings(_env_file=None).llm_configured
    assert Settings(_env_file=None, openai_base_url="http://127.0.0.1:1/v1").llm_configured


def test_secrets_never_appear_in_repr():
    settings = Settings(
        _env_file=None, neo4j_password="hunter2-secret", openai_api_key="sk-secret-key"
    )
    assert "hunter2-secret" not in repr(settings)
    assert "sk-secret-key" not in repr(settings)
