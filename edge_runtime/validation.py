"""Reading a bundle model's export validation: fidelity, agreement with the float model, count, verdict.

``validation`` is the artifact's **fidelity**: agreement with the Keras model it was converted from
(``keras:float``, or a fine-tuned ``keras:qat``, ``keras:pruned``, ...), which the export threshold
checks. ``float_agreement`` compares it with the trained float model. Bundles written before
``float_agreement`` existed have it only where the two are the same comparison (``validation.reference``
is ``keras:float``); otherwise it is unknown (None), never guessed. Likewise a missing ``verdict`` is
read from ``passed``: those bundles did not judge their sample count.
"""

from __future__ import annotations

FLOAT_REFERENCE = "keras:float"


def fidelity(model: dict) -> float | None:
    """Top-1 agreement with the model the artifact was converted from (None for regression)."""
    return (model.get("validation") or {}).get("top1_agreement")


def float_agreement(model: dict) -> dict | None:
    """The comparison with the trained float model: recorded, or the validation when it is the same one."""
    if model.get("float_agreement") is not None:
        return model["float_agreement"]
    validation = model.get("validation") or {}
    return validation if validation.get("reference") == FLOAT_REFERENCE else None


def verdict(model: dict) -> str | None:
    """``passed``, ``inconclusive`` (too few samples for the threshold) or ``failed``; None without validation."""
    validation = model.get("validation")
    if not validation:
        return None
    return validation.get("verdict") or ("passed" if validation["passed"] else "failed")


def samples_text(record: dict | None) -> str:
    """The count and where it came from: "3,000 (1,000 validation + 2,000 training)"."""
    if not record:
        return "-"
    sources = {split: n for split, n in (record.get("sources") or {}).items() if n}
    if len(sources) == 1:
        return f"{record['samples']:,} {next(iter(sources))}"
    parts = " + ".join(f"{n:,} {split}" for split, n in sources.items())
    return f"{record['samples']:,}" + (f" ({parts})" if parts else "")
