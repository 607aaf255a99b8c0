"""Schedule files: models, loading and file:line errors."""

from hfwarden.config.loader import Config, ConfigError, Problem, load_config

__all__ = ["Config", "ConfigError", "Problem", "load_config"]
