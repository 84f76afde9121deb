"""Every private or experimental engine API the device side uses still exists (edge_runtime.workarounds)."""

from __future__ import annotations

import types

import pytest

from edge_runtime.workarounds import PRIVATE_APIS, MissingPrivateApi, require_attribute


@pytest.mark.parametrize("api", sorted(PRIVATE_APIS))
def test_the_private_api_is_still_there(api):
    PRIVATE_APIS[api]()  # raises MissingPrivateApi naming the API and what edgenn needs it for


def test_a_vanished_api_fails_naming_the_owner_the_api_and_its_use():
    engine = types.SimpleNamespace()
    with pytest.raises(MissingPrivateApi, match=r"SimpleNamespace\._get_ops_details is gone \(edgenn uses it "
                                                r"to list operators\)"):
        require_attribute(engine, "_get_ops_details", "to list operators")
