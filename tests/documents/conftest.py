from __future__ import annotations

import pytest

from tests.documents.federation import Federation, build_federation


@pytest.fixture
def fed() -> Federation:
    return build_federation()
