"""Keras (tf_keras) model builders, registered by name. Import ``models.backend`` for ``keras``.

Importing this package stays light; builders import TensorFlow through ``models.backend``.
"""

from __future__ import annotations

#: custom Keras objects (layers, activations) by serialized name; filled by models.layers
CUSTOM_OBJECTS: dict[str, object] = {}


def custom_objects() -> dict[str, object]:
    """Everything ``keras.models.load_model`` needs to rebuild an edgenn model."""
    import importlib

    importlib.import_module("models.layers")  # registers the custom layers
    importlib.import_module("models.twins.layer")  # and the in-model preprocessing layer
    importlib.import_module("models.perceptron").perceptron_class()  # and the perceptron model
    return dict(CUSTOM_OBJECTS)
