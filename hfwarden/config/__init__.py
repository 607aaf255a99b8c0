"""Schedule files: models, loading and file:line errors."""

from hfwarden.config.loader import Config, load_config
from hfwarden.config.problems import ConfigError, Problem

__all__ = ["Config", "ConfigError", "Problem", "load_config"]
