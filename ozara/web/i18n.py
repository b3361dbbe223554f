"""Russian (the default: the Protocol's working language, Art. 13), Kazakh and English.

The source strings are English, marked with ``_()`` / ``ngettext()`` in the templates and
``N_()`` here; the catalogs are ``locales/<lang>/LC_MESSAGES/messages.po``, compiled to
``.mo`` by ``scripts/i18n`` (a test fails when a string has no translation, or a ``.mo`` is
older than its ``.po``). Dates and numbers are formatted by Babel for the locale, in the
time zone of the body concerned.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
from babel.dates import format_date, format_datetime
from babel.support import NullTranslations, Translations

from ozara.core.parties import CompetentBody

LANGUAGES: tuple[tuple[str, str], ...] = (("ru", "Русский"), ("kk", "Қазақша"), ("en", "English"))
CODES = tuple(code for code, _ in LANGUAGES)
DEFAULT = "ru"
UTC = ZoneInfo("UTC")
LOCALES = Path(__file__).parent / "locales"
TEMPLATES = Path(__file__).parent / "templates"


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


STATES: dict[str, str] = {
    "draft": N_("draft"),
    "signed": N_("signed"),
    "sent": N_("sent"),
    "received": N_("received"),
    "forwarded": N_("forwarded"),
    "in_execution": N_("in execution"),
    "info_requested": N_("information requested"),
    "postponed": N_("postponed"),
    "conditions_proposed": N_("conditions proposed"),
    "conditions_declined": N_("conditions declined"),
    "executed": N_("executed"),
    "refused": N_("refused"),
    "withdrawn": N_("withdrawn"),
    "closed": N_("closed"),
}
ACTIONS: dict[str, str] = {
    "sign": N_("Sign"),
    "send": N_("Send"),
    "send_urgent": N_("Send urgently, before signature"),
    "confirm": N_("Confirm in writing"),
    "receive": N_("Acknowledge receipt"),
    "forward": N_("Forward"),
    "start_execution": N_("Start execution"),
    "request_info": N_("Request additional information"),
    "provide_info": N_("Provide information"),
    "postpone": N_("Postpone"),
    "resume": N_("Resume"),
    "propose_conditions": N_("Propose conditions"),
    "accept_conditions": N_("Accept the conditions"),
    "decline_conditions": N_("Decline the conditions"),
    "notify_delay": N_("Notify a delay"),
    "report_results": N_("Report interim results"),
    "execute": N_("Report execution"),
    "refuse": N_("Refuse"),
    "withdraw": N_("Withdraw"),
    "close": N_("Close"),
}
DEADLINES: dict[str, str] = {
    "urgent_confirmation": N_("written confirmation (Art. 6 para 4)"),
    "forwarding": N_("forwarding (Art. 7 para 4)"),
    "execution": N_("execution (Art. 7 para 2)"),
}
EVENTS: dict[str, str] = {
    "request:created": N_("draft created"),
    "request:signed": N_("signed"),
    "request:sent": N_("sent"),
    "request:sent_urgent": N_("sent urgently, before signature"),
    "request:confirmed": N_("confirmed in writing"),
    "request:received": N_("receipt acknowledged"),
    "request:forwarded": N_("forwarded"),
    "request:execution_started": N_("execution started"),
    "request:info_requested": N_("additional information requested"),
    "request:info_provided": N_("information provided"),
    "request:postponed": N_("postponed"),
    "request:resumed": N_("resumed"),
    "request:conditions_proposed": N_("conditions proposed"),
    "request:conditions_accepted": N_("conditions accepted"),
    "request:conditions_declined": N_("conditions declined"),
    "request:delay_notified": N_("delay notified"),
    "request:interim_results": N_("interim results"),
    "request:executed": N_("executed"),
    "request:refused": N_("refused"),
    "request:partially_refused": N_("refused in part"),
    "request:withdrawn": N_("withdrawn"),
    "request:closed": N_("closed"),
    "request:participation_proposed": N_("participation of representatives requested"),
    "request:participation_answered": N_("participation answered"),
    "request:participation_recorded": N_("participation recorded"),
    "request:consultation_recorded": N_("consultation recorded"),
    "request:costs_proposed": N_("cost agreement proposed"),
    "request:costs_answered": N_("cost proposal answered"),
}
#: Art. 3: crimes committed with information technology against ...
CATEGORIES: dict[str, str] = {
    "a": N_("(a) the constitutional order and state security"),
    "b": N_("(b) peace and the security of mankind"),
    "c": N_("(c) crimes in the sphere of information technology"),
}
DELIVERY: dict[str, str] = {
    "pending": N_("pending"),
    "delivered": N_("delivered, receipt verified"),
    "failed": N_("failed: not delivered"),
    "received": N_("received, receipt sent"),
}


def body_name(body: CompetentBody | None, body_id: str, lang: str) -> str:
    """``KAZ-MVD — <its name>``: the English name in English, else the Russian one (the
    registry has no Kazakh name; Russian is the Protocol's working language, Art. 13)."""
    if body is None:
        return body_id
    return f"{body.id} — {body.name_en if lang == 'en' else body.name_ru}"


def pick(requested: str | None, fallback: str = DEFAULT) -> str:
    return requested if requested in CODES else fallback


@cache
def translations(lang: str) -> NullTranslations:
    if lang == "en":
        return NullTranslations()
    return Translations.load(str(LOCALES), [lang], "messages")


@cache
def environment(lang: str) -> jinja2.Environment:
    """One template environment per language, its gettext installed (autoescaping on)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return env


def gettext(lang: str, message: str) -> str:
    return translations(lang).gettext(message)


def local_time(moment: datetime, zone: ZoneInfo, lang: str) -> str:
    """``25 ноября 2026 г., 14:00 (Asia/Almaty)``: the locale's format, the body's zone."""
    text = format_datetime(moment, "medium", tzinfo=zone, locale=lang)
    return f"{text} ({zone.key})"


def local_day(day: date, lang: str) -> str:
    """``25 ноября 2026 г.``: a calendar day in the locale's long format."""
    return format_date(day, "long", locale=lang)


def duration(seconds: float, lang: str) -> str:
    """Whole days, hours and minutes, with a minus sign once overdue."""
    sign = "−" if seconds < 0 else ""
    left = int(abs(seconds)) // 60
    days, rest = divmod(left, 24 * 60)
    hours, minutes = divmod(rest, 60)
    t = translations(lang)
    return f"{sign}{days} {t.gettext('d')} {hours} {t.gettext('h')} {minutes} {t.gettext('min')}"
