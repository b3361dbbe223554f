"""The Russian wording of the formal documents (Art. 13: the working language is Russian).

Kept apart from the layout so that a jurist can review every phrase in one file, and so
that the web application can ask which events have a formal notice (``has_notice``)
without rendering anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from ozara.core.events import Side
from ozara.core.requests import AssistanceKind, CrimeCategory
from ozara.core.rules import RULES, article_in

#: In the genitive, as the documents cite it: "ст. 9 Протокола о взаимодействии ...".
PROTOCOL_RU = (
    "Протокола о взаимодействии государств — членов Организации Договора о коллективной "
    "безопасности по противодействию преступной деятельности в информационной сфере "
    "(Москва, 23 декабря 2014 г.)"
)


def article_ru(article: str) -> str:
    """``Art. 7 para 4`` → ``ст. 7 п. 4``: the rule registry keeps one article label, in English."""
    return article_in(article, "ru")


def rule_article_ru(rule_id: str) -> str:
    """The article of a rule of the registry, in Russian: the articles are kept in one place."""
    return article_ru(RULES[rule_id].article)


#: The request's fields (Art. 6 para 2, Art. 3), in the order of the written request.
FIELDS_RU: dict[str, str] = {
    "requesting_body": "Запрашивающий орган",
    "requested_body": "Запрашиваемый орган",
    "reference": "Исходящий номер запрашивающего органа",
    "purpose": "Цель запроса",
    "justification": "Обоснование запроса",
    "substance": "Существо дела",
    "assistance": "Вид и содержание запрашиваемой помощи",
    "execution_terms": "Сроки исполнения",
    "crime_category": f"Категория преступления ({rule_article_ru('art3.category')})",
    "legal_qualification": "Правовая квалификация деяния",
    "urgent": f"Срочность ({rule_article_ru('art6.urgent')})",
    "other_information": "Иная информация",
    "attachments": "Приложения",
}

#: Art. 3 (a), (b), (c); the code letter stays Latin because it is the stored value.
CATEGORIES_RU: dict[CrimeCategory, str] = {
    CrimeCategory.CONSTITUTIONAL_ORDER: (
        "(a) преступления против основ конституционного строя и безопасности государства"
    ),
    CrimeCategory.PEACE_AND_SECURITY: "(b) преступления против мира и безопасности человечества",
    CrimeCategory.IT_CRIME: (
        "(c) преступления, квалифицируемые как преступления в сфере информационных технологий"
    ),
}

ASSISTANCE_RU: dict[AssistanceKind, str] = {
    AssistanceKind.OPERATIONAL_SEARCH_MEASURE: "оперативно-розыскное мероприятие",
    AssistanceKind.PROCEDURAL_ACTION: "процессуальное действие",
}


@dataclass(frozen=True, slots=True)
class NoticeKind:
    """A formal notice: its title, its opening sentence and the heading of its text."""

    #: Used in the reference number: ``<request id>/<short>-<UTC time>``.
    short: str
    title: str
    #: ``{request}`` is replaced by the request's number and date.
    lead: str
    text_label: str


#: The events the requested body must notify in writing, by event name (Art. 7, 9).
NOTICE_KINDS: dict[str, NoticeKind] = {
    "request:forwarded": NoticeKind(
        "forwarded",
        "Уведомление о передаче запроса",
        "Уведомляем, что запрос {request} передан для исполнения в компетентный орган "
        "своего государства, к ведению которого относится его исполнение.",
        "Примечание",
    ),
    "request:delay_notified": NoticeKind(
        "delay",
        "Уведомление об обстоятельствах, препятствующих исполнению запроса",
        "Уведомляем об обстоятельствах, препятствующих исполнению запроса {request} "
        "или существенно задерживающих его исполнение.",
        "Обстоятельства",
    ),
    "request:postponed": NoticeKind(
        "postponed",
        "Уведомление об отсрочке исполнения запроса",
        "Уведомляем, что исполнение запроса {request} отсрочено, поскольку незамедлительное "
        "исполнение может воспрепятствовать уголовному преследованию или иному "
        "производству в запрашиваемом государстве.",
        "Основания отсрочки",
    ),
    "request:conditions_proposed": NoticeKind(
        "conditions",
        "Уведомление об условиях исполнения запроса",
        "По результатам консультаций сообщаем, что запрос {request} может быть исполнен "
        "на изложенных ниже условиях. Если запрашивающая Сторона согласится на получение "
        "помощи на этих условиях, она обязана их соблюдать.",
        "Условия исполнения",
    ),
    "request:refused": NoticeKind(
        "refused",
        "Уведомление об отказе в исполнении запроса",
        "Уведомляем об отказе в исполнении запроса {request}.",
        "Причины отказа",
    ),
    "request:partially_refused": NoticeKind(
        "partially-refused",
        "Уведомление о частичном отказе в исполнении запроса",
        "Уведомляем об отказе в исполнении запроса {request} в части, указанной ниже; "
        "в остальной части запрос исполняется.",
        "Причины отказа",
    ),
    "request:interim_results": NoticeKind(
        "interim-results",
        "Сообщение о промежуточных результатах исполнения запроса",
        "Сообщаем промежуточные результаты исполнения запроса {request}.",
        "Результаты",
    ),
    "request:executed": NoticeKind(
        "results",
        "Сообщение о результатах исполнения запроса",
        "Сообщаем результаты исполнения запроса {request}.",
        "Результаты исполнения",
    ),
}


def has_notice(event_name: str) -> bool:
    """Whether an event has a formal notice, so that a page offers a PDF only where one exists."""
    return event_name in NOTICE_KINDS


#: The statement of the cooperation on a request (Art. 8, 11, 12): a document of its own,
#: apart from the written request, whose signed content it does not change.
COOPERATION_TITLE = "Сведения о взаимодействии по запросу"
COOPERATION_LEAD = (
    "Сообщаем сведения о взаимодействии компетентных органов при исполнении запроса "
    "{request}. Настоящие сведения не являются частью запроса и не изменяют его "
    "подписанного содержания."
)
PARTICIPATION_SECTION = (
    "Участие представителей запрашивающего органа в исполнении запроса "
    f"({rule_article_ru('art8.participation')})"
)
CONSULTATION_SECTION = f"Консультации и переговоры ({rule_article_ru('art11.consultation')})"
COSTS_SECTION = f"Расходы ({rule_article_ru('art12.costs')})"
PARTICIPATION_RU: dict[str, str] = {
    "heading": "Согласие на участие № {number}",
    "representatives": "Представители (Ф. И. О., должность, орган)",
    "period": "Сроки участия: с {start} по {end}",
    "actions": "Действия, в исполнении которых участвуют представители",
    "answered": "Согласовано запрашиваемым органом: {date}",
    "took_part": "Приняли участие в исполнении запроса",
    "nobody": "Представители в исполнении запроса не участвовали.",
}
CONSULTATION_RU: dict[str, str] = {
    "heading": "Консультация № {number} от {date}",
    "bodies": "Компетентные органы",
    "persons": "Участники",
    "subject": "Предмет",
    "outcome": "Итоги",
}
#: What a consultation is about (``core.cooperation.SUBJECTS``).
SUBJECTS_RU: dict[str, str] = {
    "request": "исполнение запроса",
    "refusal": "отказ в исполнении запроса",
    "conditions": "условия исполнения запроса",
    "postponement": "отсрочка исполнения запроса",
    "participation": "участие представителей запрашивающего органа",
    "costs": "расходы по исполнению запроса",
    "other": "иное",
}
COSTS_RU: dict[str, str] = {
    "heading": "Соглашение о расходах № {number}, принято {date}",
    "shares": "Распределение расходов",
    "description": "Пояснение",
    "own": (
        "Каждая Сторона самостоятельно несёт расходы, возникающие в связи с исполнением "
        f"запроса ({rule_article_ru('art12.costs')} {PROTOCOL_RU}): иной порядок по "
        "данному запросу не согласован."
    ),
}
#: Who bears a share of the costs: "расходы несёт ..." (nominative).
SIDES_RU: dict[Side, str] = {
    Side.REQUESTING: "запрашивающая Сторона",
    Side.REQUESTED: "запрашиваемая Сторона",
}
COOPERATION_HASH_LABEL = "Хэш сведений о взаимодействии (SHA-256, канонический JSON RFC 8785):"

_MONTHS = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip


def date_ru(moment: datetime, zone: ZoneInfo, *, with_time: bool = True) -> str:
    """``15 января 2025 г., 14:00 (Asia/Almaty)``: a formal date, in the body's own time.

    The zone is named because the two bodies of a request may be hours apart.
    """
    t = moment.astimezone(zone)
    day = f"{t.day} {_MONTHS[t.month - 1]} {t.year} г."
    return f"{day}, {t:%H:%M} ({zone.key})" if with_time else day


def size_ru(size: int) -> str:
    """``1 048 576 байт``: digits grouped by non-breaking spaces, as Russian writes numbers."""
    return f"{size:,}".replace(",", "\u00a0") + " байт"


def day_ru(day: date) -> str:
    """``1 февраля 2025 г.``: a calendar day, as stated (no time, no zone)."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year} г."
