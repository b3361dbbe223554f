"""The Russian and Kazakh catalogs: complete, compiled, and used by the templates.

The extraction is the one ``scripts/i18n`` runs (``ozara.web.catalogs``): a string marked
in a template or in the web package's Python files without a translation fails here, and
so does a ``.mo`` that was not recompiled after its ``.po`` changed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog

from ozara.web import catalogs, i18n

ROOT = Path(__file__).resolve().parents[2]
OVERDUE = ("%(num)d deadline overdue", "%(num)d deadlines overdue")


@pytest.fixture(scope="module")
def template() -> Catalog:
    return catalogs.extract()


def extracted_ids(template: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalogs.messages(template)}


def test_extraction_finds_templates_python_and_plurals(template: Catalog) -> None:
    ids = extracted_ids(template)
    assert "Sign in" in ids  # templates/login.html, _()
    assert "Access denied" in ids  # app.py and views.py, page._()
    assert "Purpose of the request" in ids  # views.py, i18n.N_()
    assert "Wrong officer id, password or one-time code." in ids
    assert {"d", "h", "min"} <= ids  # the countdown's units (request.html)
    plural = template.get(OVERDUE[0])
    assert plural is not None and plural.pluralizable and tuple(plural.id) == OVERDUE
    labels = [*i18n.STATES.values(), *i18n.ACTIONS.values(), *i18n.DEADLINES.values(),
              *i18n.DELIVERY.values()]  # fmt: skip
    assert set(labels) <= ids, set(labels) - ids


@pytest.mark.parametrize("lang", catalogs.TRANSLATED)
def test_every_message_has_a_translation(template: Catalog, lang: str) -> None:
    assert catalogs.untranslated(lang, template) == [], (
        f"run scripts/i18n extract && scripts/i18n update, translate {lang}, then compile"
    )


@pytest.mark.parametrize("lang", catalogs.TRANSLATED)
def test_translations_keep_the_placeholders(lang: str) -> None:
    assert catalogs.format_errors(lang) == []


@pytest.mark.parametrize("lang", catalogs.TRANSLATED)
def test_committed_mo_is_the_compiled_po(lang: str) -> None:
    po = catalogs.read(catalogs.po_path(lang))
    assert catalogs.mo_path(lang).read_bytes() == catalogs.compiled(po), "run scripts/i18n compile"


def test_plural_forms_are_babels() -> None:
    ru = catalogs.read(catalogs.po_path("ru"))
    kk = catalogs.read(catalogs.po_path("kk"))
    assert ru.num_plurals == 3
    assert "n%10==1 && n%100!=11 ? 0" in ru.plural_expr
    assert kk.num_plurals == 2 and kk.plural_expr == "(n != 1)"


def test_the_check_sees_a_missing_translation_and_a_stale_mo(
    template: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(catalogs.LOCALES, tmp_path / "locales")
    monkeypatch.setattr(catalogs, "LOCALES", tmp_path / "locales")
    assert catalogs.problems(template) == []
    po = catalogs.po_path("kk")
    kk = catalogs.read(po)
    message = kk.get("Sign in")
    assert message is not None
    message.string = ""
    po.write_bytes(catalogs.render_po(kk))
    found = catalogs.problems(template)
    assert "kk: untranslated: Sign in" in found
    assert any("messages.mo" in line and line.startswith("kk:") for line in found)
    assert not any(line.startswith("ru:") for line in found)
    catalogs.compile_catalog("kk")
    assert catalogs.problems(template) == ["kk: untranslated: Sign in"]


def test_the_script_checks_clean() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "i18n"), "check"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def render_login(lang: str) -> str:
    context: dict[str, Any] = {
        "lang": lang,
        "languages": i18n.LANGUAGES,
        "node_name": "kaz-node",
        "officer": None,
        "csrf": "",
        "state_label": lambda s: s,
        "action_label": lambda a: a,
        "delivery_label": lambda d: d,
        "login_csrf": "token",
        "error": None,
        "officer_id": "",
    }
    return i18n.environment(lang).get_template("login.html").render(**context)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("kk", ["Кіру", "Құпиясөз", "Бір реттік код", "Мазмұнға өту"]),
        ("ru", ["Войти", "Пароль", "Одноразовый код", "Перейти к содержанию"]),
        ("en", ["Sign in", "Password", "One-time code", "Skip to content"]),
    ],
)
def test_the_sign_in_page_speaks_the_language(lang: str, expected: list[str]) -> None:
    html = render_login(lang)
    assert f'<html lang="{lang}">' in html
    for text in expected:
        assert text in html
    if lang != "en":
        assert "Sign in" not in html and "Password" not in html


def overdue(lang: str, n: int) -> str:
    env = i18n.environment(lang)
    source = '{{ ngettext("%(num)d deadline overdue", "%(num)d deadlines overdue", n) }}'
    return env.from_string(source).render(n=n)


def test_russian_has_three_plural_forms() -> None:
    forms = [overdue("ru", n) for n in (1, 2, 5)]
    assert forms == ["1 срок просрочен", "2 срока просрочены", "5 сроков просрочено"]
    assert len({f.split(" ", 1)[1] for f in forms}) == 3
    assert overdue("ru", 21) == "21 срок просрочен"
    assert overdue("ru", 11) == "11 сроков просрочено"
    assert overdue("ru", 24) == "24 срока просрочены"


def test_kazakh_and_english_plurals() -> None:
    assert overdue("kk", 1) == "1 мерзім өтіп кетті"
    assert overdue("kk", 5) == "5 мерзім өтіп кетті"
    assert overdue("en", 1) == "1 deadline overdue"
    assert overdue("en", 5) == "5 deadlines overdue"


def test_python_side_labels_are_translated() -> None:
    assert i18n.gettext("ru", i18n.DEADLINES["urgent_confirmation"]) == (
        "письменное подтверждение (ст. 6 п. 4)"
    )
    assert i18n.gettext("kk", i18n.DEADLINES["urgent_confirmation"]) == (
        "жазбаша растау (6-бап 4-тармақ)"
    )
    assert i18n.gettext("ru", i18n.ACTIONS["refuse"]) == "Отказать в исполнении"
    assert i18n.gettext("kk", i18n.ACTIONS["refuse"]) == "Орындаудан бас тарту"
    assert i18n.gettext("en", i18n.ACTIONS["refuse"]) == "Refuse"


def test_durations_use_the_short_units() -> None:
    seconds = 2 * 86400 + 3 * 3600 + 4 * 60
    assert i18n.duration(seconds, "ru") == "2 дн. 3 ч 4 мин"
    assert i18n.duration(seconds, "kk") == "2 күн 3 сағ 4 мин"
    assert i18n.duration(-seconds, "en") == "−2 d 3 h 4 min"


def test_local_time_names_the_month_in_the_language() -> None:
    moment = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    almaty = ZoneInfo("Asia/Almaty")
    ru = i18n.local_time(moment, almaty, "ru")
    kk = i18n.local_time(moment, almaty, "kk")
    assert "нояб" in ru and "2026" in ru and ru.endswith("(Asia/Almaty)")
    assert "қар" in kk and "2026" in kk  # қараша
    assert "Nov" in i18n.local_time(moment, almaty, "en")
    assert "14:00" in ru and "14:00" in kk  # the body's time zone (UTC+5)
