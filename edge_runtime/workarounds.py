"""Private and experimental engine APIs the device side relies on, in one place.

Each is wrapped in a small function that says why it is used and what replaces it, and is listed
in :data:`PRIVATE_APIS`, whose checks ``tests/edge_runtime/test_workarounds.py`` runs: the day an
engine release drops one, that test fails naming it, instead of a command failing on a device.
The training-side counterpart is ``export.workarounds``.
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Callable


class MissingPrivateApi(RuntimeError):
    """An engine no longer has a private API edgenn uses (not the user's doing: upgrade edgenn)."""


def require_attribute(owner: object, name: str, used_for: str) -> object:
    """``getattr(owner, name)``, or MissingPrivateApi naming the owner, the API and what it was for."""
    try:
        return getattr(owner, name)
    except AttributeError:
        label = getattr(owner, "__qualname__", type(owner).__qualname__)
        module = getattr(owner, "__module__", type(owner).__module__)
        raise MissingPrivateApi(f"{module}.{label}.{name} is gone (edgenn uses it {used_for}); "
                                "the workaround in edgenn's workarounds module needs updating") from None


def tflite_op_counts(interpreter) -> dict[str, int]:
    """Operator counts of a LiteRT interpreter's model, e.g. ``{"CONV_2D": 2, "FULLY_CONNECTED": 1}``.

    ``Interpreter._get_ops_details`` is LiteRT's only listing of a model's operators (ai-edge-litert
    2.3 has no public equivalent; the flatbuffer schema package would add a dependency). Replace
    when LiteRT publishes an op listing.
    """
    details = require_attribute(interpreter, "_get_ops_details", "to list a .tflite model's operators")
    return dict(Counter(op["op_name"] for op in details()))


def litert_resolver(module, xnnpack: bool):
    """The op resolver argument for ``Interpreter(experimental_op_resolver_type=...)``.

    ``OpResolverType`` is experimental API: the only way to run without the XNNPACK delegate
    (``--no-xnnpack``), to compare against it. Replace if LiteRT renames or stabilises it.
    """
    types = require_attribute(module, "OpResolverType", "to choose the XNNPACK or the plain op resolver")
    return types.AUTO if xnnpack else types.BUILTIN_WITHOUT_DEFAULT_DELEGATES


def _check_litert() -> None:
    module = importlib.import_module("ai_edge_litert.interpreter")
    require_attribute(module.Interpreter, "_get_ops_details", "to list a .tflite model's operators")
    resolver = require_attribute(module, "OpResolverType", "to choose the XNNPACK or the plain op resolver")
    for member in ("AUTO", "BUILTIN_WITHOUT_DEFAULT_DELEGATES"):
        require_attribute(resolver, member, "to choose the XNNPACK or the plain op resolver")


#: what each check covers -> the check (raises MissingPrivateApi when the API is gone)
PRIVATE_APIS: dict[str, Callable[[], None]] = {
    "LiteRT Interpreter._get_ops_details and OpResolverType": _check_litert,
}
