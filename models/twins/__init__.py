"""Graph twins of the classical preprocessing ops (see ``models.twins.registry``)."""

from models.twins.registry import TWINS, get_twin, register_twin

__all__ = ["TWINS", "get_twin", "register_twin"]
