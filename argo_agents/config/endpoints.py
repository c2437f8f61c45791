"""Where each of the four stores is, resolved from settings and the local stack."""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Endpoints:
    """Connection facts for the four stores. Secrets are kept out of `repr`."""

    redis_url: str = field(repr=False)
    neo4j_uri: str
    neo4j_user: str
    neo4j_password: str = field(repr=False)
    neo4j_database: str
    bigquery_project: str
    bigquery_dataset: str
    bigquery_location: str
    bigquery_endpoint: str | None
    chroma_host: str
    chroma_port: int
    chroma_ssl: bool = False
    timeout_s: float = 5.0

    @property
    def redis_address(self) -> str:
        """The Redis URL without its password, for messages and logs."""
        from urllib.parse import urlsplit

        parts = urlsplit(self.redis_url)
        return f"{parts.scheme}://{parts.hostname}:{parts.port or 6379}"

    def with_(self, **changes: object) -> Endpoints:
        """A copy with some fields changed (tests point one store elsewhere)."""
        return replace(self, **changes)  # type: ignore[arg-type]
