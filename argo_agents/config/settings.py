"""Infrastructure settings: connections, credentials, the local stack, the LLM.

Read from the environment and an optional `.env` (prefix ``ARGO_``). Per-run
knobs live in :mod:`argo_agents.orchestrator.context`, never here; credentials
live here and never in graph state. Precedence: explicit argument > environment
> `.env` > default (pydantic-settings' own order).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from argo_agents.planning.models import GATED_CATEGORIES


class CacheTTL(BaseModel):
    """Seconds a cached value of each entity type lives in Redis (docs/store-model.md)."""

    knowledge: int = 3600
    context: int = 1800
    pattern: int = 7200
    agent: int = 300
    default: int = 1800

    def for_type(self, entity_type: str) -> int:
        """TTL for an entity type; unknown types get ``default``."""
        return int(getattr(self, entity_type, self.default))


class Settings(BaseSettings):
    """Every connection ARGO makes, chosen by environment variables.

    A store whose variable is unset is served by the embedded local stack;
    a store whose variable is set is external and the stack leaves it alone.
    """

    model_config = SettingsConfigDict(
        env_prefix="ARGO_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_nested_delimiter="__",
        extra="ignore",
    )

    data_dir: Path = Field(Path(".argo"), description="Local stack data, logs, PIDs, checkpoints.")
    local_stack: Literal["auto", "never"] = Field(
        "auto",
        description="auto: start the embedded servers for stores not set below (except in a "
        "deployed LangGraph server); never: a store not set below is an error.",
    )

    redis_url: str | None = Field(None, description="redis://[:password@]host:port/db")
    neo4j_uri: str | None = Field(None, description="bolt://host:port or neo4j+s://...")
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr | None = None
    neo4j_database: str = "argo"
    bigquery_project: str = "argo-813"
    bigquery_dataset: str = "argo"
    bigquery_location: str = "US"
    bigquery_endpoint: str | None = Field(
        None, description="API endpoint; set for an emulator, unset for Google's."
    )
    chroma_host: str | None = None
    chroma_port: int = 8000
    chroma_ssl: bool = False

    # Fixed ports for the local stack; 0 picks a free port at `stack up`.
    stack_redis_port: int = 0
    stack_bolt_port: int = 0
    stack_arcadedb_http_port: int = 0
    stack_bigquery_port: int = 0
    stack_chroma_port: int = 0
    stack_env_dir: Path | None = Field(
        None,
        description="The local stack's own venv (bqemulator); unset: argo-stack-env inside "
        "ARGO's venv. `argo stack install` makes it.",
    )

    store_timeout_s: float = Field(5.0, description="Connect/socket timeout for every store.")

    embedding_provider: Literal["auto", "hashing", "openai", "sentence-transformers"] = "auto"
    embedding_model: str = "text-embedding-3-small"
    embedding_dim: int = 384
    embedding_model_path: str | None = None

    # `argo ingest` (defaults: batches of 500, 10 batches in flight, as the source design)
    ingest_batch_size: int = Field(500, ge=1, description="Documents per ingest batch.")
    ingest_concurrency: int = Field(
        10, ge=1, description="Ingest batches being prepared or applied at once."
    )
    ingest_embed_workers: int = Field(
        0, ge=0, description="Processes that parse, chunk and embed (0: one per CPU, at most 4)."
    )
    ingest_sync_workers: int = Field(
        2, ge=1, description="Sync worker threads an ingest job runs to apply its events."
    )
    ingest_chunk_chars: int = Field(1200, ge=200, description="Largest chunk, in characters.")
    ingest_chunk_overlap: int = Field(
        150, ge=0, description="Characters a chunk repeats from the one before it."
    )
    ingest_max_file_mb: float = Field(20.0, gt=0, description="Larger files are skipped.")

    llm_model: str = "gpt-4o-mini"
    consensus_rule: Literal["majority", "confidence", "past_success"] = Field(
        "confidence",
        description="How agents' votes on competing options count: one each, by their "
        "confidence, or by their kind's past success rate.",
    )
    llm_fallback: Literal["offline", "never"] = Field(
        "offline",
        description="When the model fails: plan/act offline (recorded and logged), or fail.",
    )
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None

    checkpoint_url: str | None = Field(
        None, description="postgresql://... for a Postgres checkpointer; unset = SQLite file."
    )

    cache_ttl: CacheTTL = Field(default_factory=CacheTTL)

    approval_budget_threshold_usd: float = Field(
        100.0, description="A step costing more than this needs the Director's approval."
    )
    approval_gated_categories: list[str] = Field(
        default_factory=lambda: sorted(GATED_CATEGORIES),
        description="Step categories that always need the Director's approval.",
    )
    approval_plan_threshold_usd: float = Field(
        500.0,
        description="Without a goal budget, a plan whose steps total more than this "
        "needs the Director's approval even when each step is cheap.",
    )
    director_tokens: SecretStr | None = Field(
        None,
        description='LangGraph server auth: JSON {"<bearer token>": "<director name>"}; '
        "unset = no auth, and a Director's name is recorded as asserted.",
    )
    agents: list[dict[str, Any]] | None = Field(
        None,
        description="Agent registry as JSON: [{agent_id, kind, capabilities, ...}]; "
        "unset = one Technical, one Research and one Creative agent.",
    )
    mcp_servers: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description='MCP servers executors may call, as JSON {"<name>": {"transport": '
        '"stdio", "command", "args", "env", "cwd"} | {"transport": "streamable_http", '
        '"url", "headers"}}.',
    )
    executors: list[dict[str, Any]] = Field(
        default_factory=list,
        description='Routes from steps to executors, as JSON [{"action" and/or "category", '
        '"mcp": {"server", "tool"} | "python": "module:function", "arguments"?, '
        '"timeout_s"?}]; unset = no executors: steps that would act end prepared.',
    )
    executors_file: Path | None = Field(
        None,
        description='A JSON file {"mcp_servers": {...}, "executors": [...]} added to the above.',
    )

    @property
    def llm_configured(self) -> bool:
        """True when an OpenAI-compatible endpoint can be called."""
        return self.openai_api_key is not None or self.openai_base_url is not None

    @property
    def stack_dir(self) -> Path:
        """Where the local stack keeps its servers' data."""
        return self.data_dir / "stack"
