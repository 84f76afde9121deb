"""The user-facing error types, shared by every edgenn package.

The CLI prints a ``UserError`` as one line and exits 2; anything else is a bug and shows
its traceback. Messages follow "Expected X. Received: name=value".
"""

from __future__ import annotations


class UserError(Exception):
    """Bad input from the user: a path, a value, a config. Printed as one line, exit code 2."""


class ConfigError(UserError, ValueError):
    """A configuration value or key is invalid."""


class DataError(UserError):
    """A dataset, file or image cannot be read or does not fit."""


class BundleError(UserError):
    """A bundle or model file is missing, corrupt, tampered with, or of another schema."""


class OutputError(UserError):
    """An output path cannot be written (a directory, /proc, a read-only mount, a full disk...)."""


class MissingExtraError(UserError, ImportError):
    """An optional dependency is not installed; the message names the pip extra to install."""


def require(module: str, extra: str, purpose: str = ""):
    """Import ``module`` or raise MissingExtraError naming ``pip install "edgenn[extra]"``."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # the message must name the extra, not only the module
        what = f" for {purpose}" if purpose else ""
        raise MissingExtraError(
            f"{module} is needed{what} but is not installed. "
            f'Install it with: pip install "edgenn[{extra}]"'
        ) from exc
