"""Bulk import of records (CSV, STIX 2.1 bundle) and a record's STIX export.

The import runs within the request (one transaction per record, through ``create_record``,
so a refused row never takes the others with it); the page then shows how many records
were taken, with links, and every refused row with its field, rule, article and message.
A progress bar over HTTP would need the import to run in the background; the counts are
shown instead (the CLI's import draws one).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from ozara.core.records import Purpose, RecordKind
from ozara.core.rules import ProtocolError, article_in
from ozara.interop import bulk
from ozara.interop.stix import bundle_json, record_to_stix
from ozara.interop.stix_import import ImportDefaults
from ozara.services import records as svc
from ozara.services.requests import AccessDenied
from ozara.store.repository import NotFound
from ozara.store.uow import SqlUnitOfWork

from . import records_forms as rf
from .page import Forbidden, Page, WebConfig, page_for
from .records_forms import labels, officer_id
from .records_pages import purpose_of, record_page
from .views import _Form

#: The largest file accepted in one import.
MAX_IMPORT = 16 * 1024 * 1024


def add_import_pages(app: FastAPI, config: WebConfig) -> None:
    @app.get("/records/import", response_class=HTMLResponse)
    def import_form(request: Request) -> Response:
        page = page_for(request, config)
        _require_body(page)
        form = {f"purpose.{p.value}": "1" for p in (Purpose.DETECTION, Purpose.INVESTIGATION)}
        return page.render(
            "records_import.html", report=None, errors=[], **_form_context(page, form)
        )

    @app.post("/records/import", response_class=HTMLResponse)
    async def import_file(request: Request) -> Response:
        page = page_for(request, config)
        form = await page.form()
        _require_body(page)
        if len(page.uploads) != 1:
            return _form_error(page, page._("Choose one CSV file or one STIX bundle."), form)
        upload = page.uploads[0]
        data = upload.content
        if len(data) > MAX_IMPORT:
            return _form_error(page, page._("The file is larger than 16 MiB."), form)
        actor = officer_id(page)

        def create(document: Any) -> str:
            with SqlUnitOfWork(config.engine) as uow:
                return svc.create_record(uow, document, actor, page.now)

        defaults = ImportDefaults(
            purposes=tuple(p.value for p in Purpose if form.get(f"purpose.{p.value}") == "1"),
            confidentiality=form.get("confidentiality") or None,
            onward_sharing=form.get("onward_sharing") == "1",
            kind=form.get("kind") or RecordKind.MODUS_OPERANDI.value,
            crime_category=form.get("crime_category") or None,
            legal_qualification=form.get("legal_qualification", "").strip(),
        )
        done: list[int] = []
        stopped = None
        try:
            report = bulk.run_import(
                data, upload.filename or "", create, defaults=defaults,
                progress=lambda n, _total: done.append(n),
            )  # fmt: skip
        except bulk.ImportInterrupted as e:
            report, stopped = e.report, page._("The import stopped: %(error)s") % {
                "error": str(e.__cause__ or e)
            }  # fmt: skip
        except ValueError as e:
            return _form_error(page, page._("The file could not be read: %(error)s") % {
                "error": str(e)
            }, form)  # fmt: skip
        rows = [
            {"row": r.row, "source": r.source, "field": r.field, "message": r.message,
             "article": article_in(r.article, page.lang)}
            for r in report.rejected
        ]  # fmt: skip
        return page.render(
            "records_import.html", report=report, rows=rows, refused=len(report.rejected_rows),
            accepted=[a.record_id for a in report.accepted], done=len(done),
            errors=[stopped] if stopped else [], filename=upload.filename or "",
            unmapped=report.unmapped, **_form_context(page, form),
        )  # fmt: skip

    @app.get("/records/{record_id}/stix")
    def stix(request: Request, record_id: str) -> Response:
        page = page_for(request, config)
        purpose, case = purpose_of(page)
        if purpose is None:
            return record_page(page, record_id, status=400)
        try:
            with SqlUnitOfWork(config.engine) as uow:
                view = svc.read_record(
                    uow, record_id, officer_id(page), purpose, page.now, case=case
                )
        except NotFound:
            return page.error(404, page._("Not found"), page._("No such record."))
        except AccessDenied as e:
            raise Forbidden(str(e)) from None
        except ProtocolError:
            return record_page(page, record_id)
        bundle = record_to_stix(
            view.content, now=page.now, record_id=view.id, source=view.holding.owner_body
        )
        name = quote(f"record-{view.id}.stix.json")
        return Response(
            bundle_json(bundle).encode(),
            media_type="application/stix+json;version=2.1",
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
        )


def _require_body(page: Page) -> None:
    assert page.session is not None
    if page.session.officer.body_id is None:
        raise Forbidden(page._("Records are exchanged by the competent bodies (Art. 5)."))


def _form_context(page: Page, form: dict[str, str]) -> dict[str, Any]:
    return {
        "form": _Form(form), "purposes": list(rf.PURPOSES), "levels": list(rf.LEVELS),
        "kinds": list(rf.KINDS), "categories": rf.categories(), **labels(page),
    }  # fmt: skip


def _form_error(page: Page, message: str, form: dict[str, str] | None = None) -> HTMLResponse:
    return page.render(
        "records_import.html", 422, report=None, errors=[message],
        **_form_context(page, form or {}),
    )  # fmt: skip
