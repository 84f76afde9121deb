"""Graph twins of the classical preprocessing ops (see ``models.twins.registry``).

Importing this package registers every twin.
"""

from models.twins.registry import TWINS, NotCompilable, get_twin, register_twin

__all__ = ["TWINS", "NotCompilable", "get_twin", "register_twin"]

# each family module registers its twins
from models.twins import basic, color, filters, fitted, geometry, hog, moments  # noqa: E402, F401
