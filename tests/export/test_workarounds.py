"""Every private API of the converter and of tfmot that export uses still exists (export.workarounds)."""

from __future__ import annotations

import pytest

from edge_runtime.workarounds import MissingPrivateApi
from export.workarounds import PRIVATE_APIS, _registry, set_dense_per_channel


@pytest.mark.parametrize("api", sorted(PRIVATE_APIS))
def test_the_private_api_is_still_there(api):
    PRIVATE_APIS[api]()  # raises MissingPrivateApi naming the API and what edgenn needs it for


def test_setting_a_converter_switch_that_vanished_fails_instead_of_doing_nothing():
    class Converter:  # a converter of a TensorFlow release without the private switch
        pass

    with pytest.raises(MissingPrivateApi, match="_experimental_disable_per_channel_quantization_for_dense_layers is gone"):
        set_dense_per_channel(Converter(), True)


def test_a_tfmot_registry_that_moved_is_named():
    with pytest.raises(MissingPrivateApi, match="tensorflow_model_optimization.python.core.sparsity.keras.gone is gone"):
        _registry("sparsity.keras.gone", "PruneRegistry")
