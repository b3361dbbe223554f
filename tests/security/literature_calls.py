"""The library of exchanged literature in the authorization matrix (Art. 5 para 6).

The document: KAZ-MVD (the owner's body) added it and shared it with Russia. Its readers
are the bodies of Kazakhstan (the owner's Party: national law) and of Russia (shared with),
any role; nobody else, not the auditor, not the Secretariat, not Belarus. Only the owner's
body shares or withdraws it. Made through the use cases (the matrix checks the routes,
``tests/web/test_literature_pages.py`` the making), once per world; a POST that changes
something acts on a fresh document, so the order of the tests does not matter.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from ozara.core.parties import Party
from ozara.services import literature as svc
from ozara.store.uow import SqlUnitOfWork
from tests.security.conftest import World

TITLE = "Attribution of the Zhetysu phishing kits"
ABSTRACT = "How the Zhetysu ring's kits were traced to their authors"
CONTENT = b"Zhetysu kit attribution, the methodology in full"
LITERATURE_SECRETS = (TITLE, ABSTRACT, CONTENT.decode())
#: The bodies of the owner's Party and of the Party it was shared with, any role.
LITERATURE_READERS = frozenset(
    {"owner", "same_party", "counterpart", "counterpart_party", "signatory", "liaison"}
)
#: Who shares or withdraws it: the owner's body.
LITERATURE_OWNERS = frozenset({"owner", "signatory", "liaison"})
ACTOR_DOCUMENT = {
    "title": "A document of the actor's own",
    "authors": "A. Author",
    "language": "en",
    "year": "2025",
    "kind": "report",
    "abstract": "A neutral abstract",
}
_made: dict[str, str] = {}


def fresh(world: World, *, shared: bool = True) -> str:
    meta = {"title": TITLE, "authors": ["A. Seitkali"], "language": "en", "year": 2025,
            "kind": "methodology", "keywords": ["phishing"], "abstract": ABSTRACT}  # fmt: skip
    now = world.clock.now
    with SqlUnitOfWork(world.engine) as uow:
        doc = svc.add_literature(uow, meta, "kit.txt", "text/plain", CONTENT,
                                 "kaz-mvd.officer", now)  # fmt: skip
    if shared:
        with SqlUnitOfWork(world.engine) as uow:
            svc.share_literature(uow, doc, [Party.RUSSIA], "kaz-mvd.officer", now)
    return doc


def document_id(world: World) -> str:
    """The world's shared document, made on first use."""
    if world.url not in _made:
        _made[world.url] = fresh(world)
    return _made[world.url]


def show(suffix: str = "") -> Callable[[World, str], httpx.Response]:
    return lambda w, actor: w.client(actor).get(f"/literature/{document_id(w)}{suffix}")


def add(world: World, actor: str) -> httpx.Response:
    # A file only where it is read (see _import in test_authorization_matrix.py).
    files = None
    if actor not in ("anonymous", "auditor", "secretariat"):
        files = [("files", ("notes.txt", b"A neutral text", "text/plain"))]
    data = {**ACTOR_DOCUMENT, "csrf": world.token(actor)}
    return world.client(actor).post("/literature/new", data=data, files=files)


def on_fresh(suffix: str, data: dict[str, str]) -> Callable[[World, str], httpx.Response]:
    def send(w: World, actor: str) -> httpx.Response:
        doc = fresh(w)
        return w.client(actor).post(
            f"/literature/{doc}/{suffix}", data={**data, "csrf": w.token(actor)}
        )

    return send
