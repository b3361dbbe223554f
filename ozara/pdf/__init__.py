"""Formal documents as PDF in Russian (Art. 13): the written request, the notices, and
the statement of the cooperation on a request (Art. 8, 11, 12; ``cooperation``).

``render_request`` and ``render_notice`` return the bytes of a PDF; ``has_notice`` tells
a page whether an event has a formal notice to offer. The font is DejaVu Sans, vendored in
``fonts/`` (licence beside it) and embedded, so Kazakh and Armenian text prints too.
"""

from .cooperation import has_cooperation, render_cooperation
from .labels import NOTICE_KINDS, NoticeKind, has_notice
from .render import notice_hash, notice_reference, render_notice, render_request, request_hash

__all__ = [
    "NOTICE_KINDS",
    "NoticeKind",
    "has_cooperation",
    "has_notice",
    "notice_hash",
    "notice_reference",
    "render_cooperation",
    "render_notice",
    "render_request",
    "request_hash",
]
