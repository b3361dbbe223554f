"""Joint research and the library (Art. 5 para 6) through the web pages of three Parties'
nodes: what an officer does in the browser travels exactly as the CLI sends it. The Kazakh
node (KAZ-MVD) leads and shares; the Russian node (RUS-MVD) takes part and receives. Each
node serves the web application with its ``FederatedPeers``, as ``ozara serve`` builds it
(the world and the browser of ``test_operation_pages_federation.py``)."""

from __future__ import annotations

from ozara.core.research import ResearchState
from ozara.documents import OfficerSignature
from ozara.store.research import ResearchRepository, StoredProject
from ozara.store.uow import SqlUnitOfWork
from tests.federation.conftest import Node
from tests.federation.test_operations_federation import KAZ_HEAD_KEY, World, errors, outcomes
from tests.federation.test_operations_federation import w as w  # noqa: PLC0414 -- the fixture
from tests.web.test_operation_pages_federation import sign_in, web_app

PROPOSAL = {
    "title": "Phishing kits sold on Telegram",
    "topic": "Who writes the kits and who sells them",
    "goals": "A shared typology and attribution methods",
    "period_from": "2026-02-01",
    "period_to": "2026-12-31",
    "invited.RUS-MVD": "1",
}
TITLE = "Методика атрибуции фишинговых наборов"
PDF = b"%PDF-1.7 a methodology of phishing kit attribution"
META = {
    "title": TITLE,
    "authors": "А. Сейткали",
    "language": "ru",
    "year": "2025",
    "kind": "methodology",
    "keywords": "фишинг",
    "abstract": "How to attribute phishing kits sold in Telegram channels",
    "party.RUS": "1",
}


def held(node: Node, pid: str) -> StoredProject:
    with SqlUnitOfWork(node.engine) as uow:
        return ResearchRepository(uow.connection).get(pid)


def test_a_project_from_the_proposal_to_the_signed_final_results(w: World) -> None:
    kaz_app = web_app(w, w.kaz, {"kaz-mvd.head": KAZ_HEAD_KEY})
    rus_app = web_app(w, w.rus, {})
    kaz = sign_in(w, w.kaz, kaz_app, "kaz-mvd.officer")
    proposed = kaz.post("/research/new", **PROPOSAL)
    assert proposed.status_code == 303, proposed.text[-2000:]
    pid = proposed.headers["location"].rsplit("/", 1)[1]
    assert outcomes(w.exchange()) == [("research_project", "applied")]

    # RUS-MVD's head joins on the Russian node: sent to the lead's node, applied there.
    rus_head = sign_in(w, w.rus, rus_app, "rus-mvd.head")
    assert "received from node KAZ-MVD-NODE" in rus_head.get(f"/research/{pid}").text
    joined = rus_head.post(f"/research/{pid}/act", action="join")
    assert joined.status_code == 303 and joined.headers["location"].endswith("?sent=join")
    assert "sent to the lead body" in rus_head.get(joined.headers["location"]).text
    assert held(w.rus, pid).project.state is ResearchState.PROPOSED  # not applied here
    w.exchange()
    assert {held(n, pid).project.state for n in (w.kaz, w.rus)} == {ResearchState.ACTIVE}

    # Completed by the lead's head, signed with the head's key of the lead's node.
    kaz_head = sign_in(w, w.kaz, kaz_app, "kaz-mvd.head")
    done = kaz_head.post(f"/research/{pid}/act", action="complete", text="14 kits attributed")
    assert done.status_code == 303, done.text[-2000:]
    w.exchange()
    signature = held(w.rus, pid).final_signature
    assert signature is not None
    page = rus_head.get(f"/research/{pid}")
    assert OfficerSignature.from_json(signature).key_fingerprint in page.text
    assert "14 kits attributed" in page.text
    assert errors(w) == {}


def test_without_the_heads_key_the_project_is_not_completed(w: World) -> None:
    kaz_app = web_app(w, w.kaz, {})  # no officers/kaz-mvd.head.json on this node
    kaz = sign_in(w, w.kaz, kaz_app, "kaz-mvd.officer")
    pid = kaz.post("/research/new", **PROPOSAL).headers["location"].rsplit("/", 1)[1]
    w.exchange()
    rus_head = sign_in(w, w.rus, web_app(w, w.rus, {}), "rus-mvd.head")
    assert rus_head.post(f"/research/{pid}/act", action="join").status_code == 303
    w.exchange()
    kaz_head = sign_in(w, w.kaz, kaz_app, "kaz-mvd.head")
    refused = kaz_head.post(f"/research/{pid}/act", action="complete", text="Kept as typed")
    assert refused.status_code == 409 and "Kept as typed" in refused.text
    assert held(w.kaz, pid).project.state is ResearchState.ACTIVE
    assert w.exchange() == []


def test_a_document_shared_on_one_node_is_read_and_withdrawn_on_another(w: World) -> None:
    kaz_app = web_app(w, w.kaz, {})
    kaz = sign_in(w, w.kaz, kaz_app, "kaz-mvd.officer")
    token = kaz.get("/literature/new").text.split('name="csrf" value="')[1].split('"')[0]
    added = kaz.request(
        "POST", "/literature/new", data={"csrf": token, **META},
        files=[("files", ("kit.pdf", PDF, "application/pdf"))],
    )  # fmt: skip
    assert added.status_code == 303, added.text[-2000:]
    doc = added.headers["location"].split("?")[0].rsplit("/", 1)[1]
    assert outcomes(w.exchange()) == [("literature_share", "applied")]

    rus = sign_in(w, w.rus, web_app(w, w.rus, {}), "rus-mvd.officer")
    assert TITLE in rus.get("/literature?q=фишинговых").text
    assert rus.get(f"/literature/{doc}/file").content == PDF
    blr = sign_in(w, w.blr, web_app(w, w.blr, {}), "blr-mvd.officer")
    assert blr.get(f"/literature/{doc}").status_code == 404  # never sent to Belarus

    w.clock.advance(minutes=1)
    assert kaz.post(f"/literature/{doc}/withdraw", reason="Superseded").status_code == 303
    assert outcomes(w.exchange()) == [("literature_withdrawal", "applied")]
    denied = rus.get(f"/literature/{doc}")
    assert denied.status_code == 403 and TITLE not in denied.text
    assert errors(w) == {}
