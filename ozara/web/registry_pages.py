"""The registry of competent bodies and the treaty status (Art. 4, 16–18), for everyone
signed in; figures with charts for the Secretariat, auditors and heads of bodies."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from ozara.core.parties import Role
from ozara.federation.statistics import organization_figures
from ozara.services import registry as registry_svc
from ozara.services.statistics import figures
from ozara.store.uow import SqlUnitOfWork

from . import charts, i18n
from .i18n import UTC
from .page import Forbidden, WebConfig, page_for

#: Who sees the figures: the Secretariat, auditors, the head of a body or a deputy.
FIGURES_ROLES = frozenset({Role.SECRETARIAT, Role.AUDITOR, Role.SIGNATORY})
_BINS = (0, 5, 10, 15, 20, 25, 30, 45)


def add_registry_pages(app: FastAPI, config: WebConfig) -> None:
    @app.get("/registry", response_class=HTMLResponse)
    def registry(request: Request) -> Response:
        page = page_for(request, config)
        with SqlUnitOfWork(config.engine) as uow:
            bodies = sorted(uow.registry.registry().bodies.values(), key=lambda b: b.id)
            report = registry_svc.treaty_report(uow, page.now.astimezone(UTC).date())
        rows = [
            {
                "id": b.id, "party": b.party.value, "name_ru": b.name_ru, "name_en": b.name_en,
                "zone": b.timezone,
                "from": i18n.local_time(b.designated_from, b.zone, page.lang),
                "until": i18n.local_time(b.designated_until, b.zone, page.lang)
                if b.designated_until else "—",
                "designated": b.is_designated(page.now),
            }
            for b in bodies
        ]  # fmt: skip
        return page.render("registry.html", bodies=rows, parties=report.parties)

    @app.get("/statistics", response_class=HTMLResponse)
    def statistics(request: Request) -> Response:
        page = page_for(request, config)
        assert page.session is not None
        if not (page.session.officer.roles & FIGURES_ROLES):
            raise Forbidden(page._("The figures are for the Secretariat, auditors and heads."))
        with SqlUnitOfWork(config.engine) as uow:
            whole = organization_figures(uow)
            f = whole.figures if whole is not None else figures(uow, page.now)
        if whole is not None:
            oldest = min(whole.reports.values())
            scope = page._(
                "All the Organization: the latest reports of %(num)d Party nodes, "
                "the oldest as of %(when)s."
            ) % {"num": len(whole.reports), "when": i18n.local_time(oldest, UTC, page.lang)}
        else:
            scope = page._("From the requests this node holds.")
        pairs = sorted(f.pairs.items(), key=lambda kv: (-kv[1], kv[0]))
        days = page._("days")
        svgs = [
            charts.bar_chart(
                page._("Requests by pair of Parties (requesting → requested)"),
                [(f"{a.value} → {b.value}", n) for (a, b), n in pairs],
            ),
            charts.histogram(
                page._("Execution time, from receipt to results"), f.execution_days, _BINS, days
            ),
            charts.bar_chart(
                page._("Refusals, in full or in part (Art. 9), by requested Party"),
                [(p.value, n) for p, n in sorted(f.refusals.items())],
            ),
            charts.bar_chart(
                page._("Deadlines overdue now, by Party that must act"),
                [(p.value, n) for p, n in sorted(f.overdue.items())],
            ),
        ]
        median = f.median_execution_days
        return page.render(
            "statistics.html", charts=svgs, pairs=pairs, executed=len(f.execution_days),
            scope=scope,
            median=None if median is None else f"{median:.1f}",
        )  # fmt: skip
