"""The errors an export raises: each names what failed and what was expected."""

from __future__ import annotations

from edge_runtime.errors import UserError


class ExportError(UserError):
    """A run, variant, representative set or model that cannot be exported as asked."""


class UnsupportedOpError(ExportError):
    """The model needs an op that has no builtin TFLite kernel (select TF ops are refused)."""


class ValidationFailed(ExportError):
    """One or more artifacts differ from their Keras reference beyond the thresholds."""

    def __init__(self, failures: list[str]):
        self.failures = list(failures)
        super().__init__(f"{len(failures)} validation check(s) failed, no bundle written: " + "; ".join(failures))
