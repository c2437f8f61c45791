"""Configuration: infrastructure settings from the environment."""

from argo_agents.config.settings import CacheTTL, Settings

__all__ = ["CacheTTL", "Settings"]
