"""Who may read a request (Art. 4: cooperation runs between the bodies concerned).

An officer reads only the cases of their own body: the requesting body, and once the
request is sent, the body that holds it now and the body it was first addressed to (which
forwarded it).
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
    if officer.body_id == request.content.requesting_body:
        return True
    # A draft, signed or not, is the requesting body's alone until it is sent (Art. 6
    # para 3): on a node holding both bodies the requested one must not read it earlier.
    return request.sent_at is not None and officer.body_id in {
        request.content.requested_body,
        request.requested_body,
    }
