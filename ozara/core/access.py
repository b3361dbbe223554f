"""Who may read a request (Art. 4: cooperation runs between the bodies concerned).

An officer reads only the cases of their own body: the requesting body, the body that
holds the request now, and the body it was first addressed to (which forwarded it).
An auditor reads every case of the node and acts on none.
"""

from __future__ import annotations

from ozara.core.lifecycle import Request
from ozara.core.parties import Officer, Role


def can_view(officer: Officer, request: Request) -> bool:
    if officer.has(Role.AUDITOR):
        return True
    if officer.body_id is None:
        return False
    return officer.body_id in {
        request.content.requesting_body,
        request.content.requested_body,
        request.requested_body,
    }
