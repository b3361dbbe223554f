"""The documents of the officers' JSON API (``api_v1.py``), as its OpenAPI schema shows them.

Every answer is one of these models, so ``/api/v1/openapi.json`` describes each field, and
a refusal is always an ``Error``: what went wrong, in the officer's language, and where the
Protocol says so (the rule and the article), when it does.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class Error(BaseModel):
    """A refusal: 400 (the query), 401 (no session), 403 (not this officer's), 404."""

    error: str = Field(description="What went wrong, in the officer's language.")
    rule: str | None = Field(
        default=None, description="The rule of the Protocol, where one applies."
    )
    article: str | None = Field(default=None, description="Its article, e.g. 'Art. 4'.")


class Me(BaseModel):
    id: str
    name: str
    post: str
    body_id: str | None = Field(description="None for the Secretariat's staff.")
    party: str | None
    roles: list[str]
    language: str = Field(description="The officer's language: ru, kk or en.")


class NextDeadline(BaseModel):
    kind: str = Field(description="urgent_confirmation, forwarding or execution.")
    label: str
    due_at: datetime
    body_id: str = Field(description="The body that must act.")
    overdue: bool
    soon: bool = Field(description="Due within three days.")


class RequestSummary(BaseModel):
    id: str
    requesting_body: str
    requested_body: str = Field(description="The body holding the request now.")
    state: str
    state_label: str
    urgent: bool
    crime_category: str
    created_at: datetime
    updated_at: datetime
    next_deadline: NextDeadline | None


class RequestList(BaseModel):
    box: str = Field(description="in (received) or out (sent); 'all' for the auditor.")
    items: list[RequestSummary]
    limit: int
    offset: int
    next_offset: int | None = Field(description="The offset of the next page, if any.")


class AssistanceItem(BaseModel):
    kind: str
    description: str


class AttachmentInfo(BaseModel):
    filename: str
    size: int
    sha256: str
    media_type: str


class Deadline(BaseModel):
    kind: str
    label: str
    due_at: datetime
    body_id: str
    paused: bool
    overdue: bool


class AllowedAction(BaseModel):
    action: str
    label: str
    needs_text: bool


class Event(BaseModel):
    name: str
    label: str
    at: datetime
    actor_id: str | None
    body_id: str | None
    articles: list[str]


class RequestDetail(BaseModel):
    """A request as its page shows it to this officer."""

    id: str
    requesting_body: str
    addressed_body: str = Field(description="The body the request was addressed to.")
    requested_body: str = Field(description="The body holding it now (after a forwarding).")
    state: str
    state_label: str
    urgent: bool
    crime_category: str
    purpose: str
    justification: str
    substance: str
    assistance: list[AssistanceItem]
    execution_terms: str
    legal_qualification: str
    other_information: str
    reference: str
    attachments: list[AttachmentInfo]
    created_at: datetime
    signed_by: str | None
    sent_at: datetime | None
    received_at: datetime | None
    outcome: str | None
    deadlines: list[Deadline] = Field(description="The open deadlines.")
    allowed_actions: list[AllowedAction] = Field(
        description="What this officer may do now (the core's allowed_actions)."
    )
    events: list[Event]


class CalendarEntry(BaseModel):
    kind: str
    label: str
    article: str
    ref: str = Field(description="A request id, or operation/task, or an event's id.")
    at: datetime | None = Field(description="The instant of a deadline (UTC); None for a day.")
    day: date
    end: date | None = Field(description="The last day of a span of days.")
    body_id: str
    path: str = Field(description="The page of the entry on this node.")
    detail: str
    overdue: bool


class Calendar(BaseModel):
    horizon_days: int
    entries: list[CalendarEntry]


class Notification(BaseModel):
    """One of the officer's notifications: their case, and only that a match exists."""

    id: int
    subject_type: str = Field(description="request or record: the officer's case.")
    subject_id: str
    subject_label: str
    other_type: str = Field(description="The match is in a request or a record ...")
    other_body: str = Field(description="... of this body.")
    created_at: datetime
    read: bool


class Notifications(BaseModel):
    total: int
    unread: int
    limit: int
    offset: int
    items: list[Notification]
