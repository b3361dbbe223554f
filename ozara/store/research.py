"""Joint research projects (Art. 5 para 6) as a node holds them: the whole project as its
JSON form, and ``research_bodies`` beside it for "the projects of my body". Saves are
optimistic (``ConcurrentChange``); a copy received from the lead's node is replaced by a
newer version whole (``replace``). Like every repository it never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, or_, select, update

from ozara.core.research import Project, ResearchState
from ozara.core.research_forms import load_project
from ozara.store import at_rest
from ozara.store import tables as t
from ozara.store.repository import ConcurrentChange, NotFound

_P = t.research_projects.c
_B = t.research_bodies.c


@dataclass(frozen=True, slots=True)
class StoredProject:
    project: Project
    #: ``None`` on the lead's node; else the node it came from.
    received_from: str | None
    #: The signature of the lead's head or deputy over the document that completed it.
    final_signature: dict[str, Any] | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ProjectRow:
    id: str
    title: str
    lead_body: str
    state: ResearchState
    period: tuple[str, str]
    version: int
    updated_at: datetime


@dataclass(slots=True)
class ResearchRepository:
    conn: Connection

    def add(self, project: Project, now: datetime, *, received_from: str | None = None) -> None:
        self.conn.execute(
            insert(t.research_projects).values(
                id=project.id, lead_body=project.lead_body, created_at=project.created_at,
                received_from=received_from, updated_at=now, **self._columns(project),
            )
        )  # fmt: skip
        self._write_index(project)

    def save(
        self,
        project: Project,
        previous_version: int,
        now: datetime,
        *,
        final_signature: dict[str, Any] | None = None,
    ) -> None:
        """Store ``project`` over the copy at ``previous_version`` (the lead's node: one
        before; a copy that follows it: whatever version it held)."""
        values = {**self._columns(project), "updated_at": now}
        if final_signature is not None:
            values["final_signature"] = final_signature
        changed = self.conn.execute(
            update(t.research_projects)
            .where(_P.id == project.id, _P.version == previous_version)
            .values(**values)
        )
        if changed.rowcount != 1:
            raise ConcurrentChange(project.id)
        self._write_index(project)

    def set_signature(self, project_id: str, signature: dict[str, Any]) -> None:
        self.conn.execute(
            update(t.research_projects).where(_P.id == project_id).values(final_signature=signature)
        )

    def get(self, project_id: str) -> StoredProject:
        found = (
            self.conn.execute(select(t.research_projects).where(_P.id == project_id))
            .mappings()
            .first()
        )
        if found is None:
            raise NotFound("research project", project_id)
        return StoredProject(
            load_project(at_rest.unseal_json(self.conn, found["content"], _place(project_id))),
            found["received_from"], found["final_signature"],
            found["updated_at"],
        )  # fmt: skip

    def find(self, project_id: str) -> StoredProject | None:
        try:
            return self.get(project_id)
        except NotFound:
            return None

    def involving(
        self, body_id: str, *, state: ResearchState | None = None, limit: int = 100
    ) -> list[ProjectRow]:
        """Projects the body leads or is invited to, most recently changed first."""
        invited = select(_B.project_id).where(_B.body_id == body_id)
        q = select(
            _P.id, _P.title, _P.lead_body, _P.state, _P.period_from, _P.period_to, _P.version,
            _P.updated_at,
        ).where(or_(_P.lead_body == body_id, _P.id.in_(invited)))  # fmt: skip
        if state is not None:
            q = q.where(_P.state == state.value)
        q = q.order_by(_P.updated_at.desc(), _P.id).limit(limit)
        return [
            ProjectRow(
                r.id, r.title, r.lead_body, ResearchState(r.state),
                (r.period_from.isoformat(), r.period_to.isoformat()), r.version, r.updated_at,
            )
            for r in self.conn.execute(q).all()
        ]  # fmt: skip

    def _columns(self, project: Project) -> dict[str, Any]:
        p = project.proposal
        content = at_rest.seal_json(self.conn, project.to_dict(), _place(project.id))
        return {
            "title": p.title, "state": project.state.value, "period_from": p.period_from,
            "period_to": p.period_to, "content": content, "version": project.version,
        }  # fmt: skip

    def _write_index(self, project: Project) -> None:
        self.conn.execute(delete(t.research_bodies).where(_B.project_id == project.id))
        if project.participants:
            self.conn.execute(
                insert(t.research_bodies),
                [{"project_id": project.id, "body_id": x.body_id, "answer": x.answer.value}
                 for x in project.participants],
            )  # fmt: skip


def _place(project_id: str) -> str:
    """Where a research project's content belongs (encrypted at rest: ``at_rest_rotation``)."""
    return f"research_projects.content:{project_id}"
