"""Graph twins of the classical preprocessing ops (see ``models.twins.registry``).

Importing this package registers every twin.
"""

from models.twins import color, filters, fitted, geometry  # noqa: F401  (each module registers its twins)
from models.twins.registry import TWINS, get_twin, register_twin

__all__ = ["TWINS", "get_twin", "register_twin"]
