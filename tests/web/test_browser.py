"""The web application in a real browser (Debian's Chromium, driven by Playwright), on the
seven-node federation of ``make demo``: a Kazakh officer composes a request, the head signs
it, it is sent to the Russian node; there it is received, forwarded to the FSB, executed;
the results come back to the Kazakh node. Screenshots of the main pages go to
``docs/screenshots/`` (the README shows them).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.transport.conftest import free_port

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
#: Without these, Chromium tries to reach Google's services, which a closed network refuses.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
        "--disable-component-update", "--disable-sync", "--disable-quic"]  # fmt: skip


@dataclass
class Demo:
    urls: dict[str, str]  # node id → URL
    logins: dict[str, dict[str, str]]
    process: subprocess.Popen[str]

    def login(self, officer_id: str, node: str) -> dict[str, str]:
        return self.logins[f"{officer_id}@{node}"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """``make demo`` left running (not OZARA_DEMO_EXIT): seven nodes serving the web app."""
    root = tmp_path_factory.mktemp("browser") / "fed"
    env = {**os.environ, "OZARA_DEMO_DIR": str(root), "OZARA_DEMO_PORT": str(free_port())}
    env.pop("OZARA_DEMO_EXIT", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "ozara.demo"], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Serving the timeline"):
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(180):
        process.kill()
        pytest.fail("the demo did not start:\n" + "".join(lines[-40:]))
    urls = dict(re.findall(r"^   ([A-Z]+-(?:NODE|SEC))\s+(http://\S+)", "".join(lines), re.M))
    logins = json.loads((root / "accounts.json").read_text(encoding="utf-8"))
    try:
        yield Demo(urls, logins, process)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def signed_in(browser: Browser, demo: Demo, officer_id: str, node: str) -> Page:
    """A new browser context, signed in with the password and the current TOTP code."""
    account = demo.login(officer_id, node)
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    page.goto(f"{account['url']}/login?lang=en")
    page.fill("#officer_id", officer_id)
    page.fill("#password", account["password"])
    code = pyotp.TOTP(account["totp_secret"])
    page.fill("#code", code.now())
    page.click("form[action='/login'] button[type=submit]")
    if "/login" in page.url:  # the code just used by another context: wait for the next one
        time.sleep(31 - time.time() % 30)
        page.fill("#password", account["password"])
        page.fill("#code", code.now())
        page.click("form[action='/login'] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/requests"))
    page.goto(f"{account['url']}/requests?lang=en")  # the account's language, from now on
    return page


def act(page: Page, action: str, **fields: str) -> None:
    form = page.locator(f"form.action:has(button[value='{action}'])")
    for name, value in fields.items():
        target = form.locator(f"[name='{name}']")
        if target.evaluate("e => e.tagName") == "SELECT":
            target.select_option(value)
        else:
            target.fill(value)
    form.locator(f"button[value='{action}']").click()
    page.wait_for_load_state()


def wait_for(page: Page, url: str, text: str, timeout: float = 30) -> None:
    """Reload until ``text`` is on the page: documents cross between nodes in the background."""
    deadline = time.monotonic() + timeout
    while True:
        page.goto(url)
        if text in page.content():
            return
        if time.monotonic() > deadline:
            pytest.fail(f"{text!r} never appeared at {url}")
        time.sleep(0.5)


AXE = Path(__file__).parent / "vendor" / "axe.min.js"


def accessibility_problems(page: Page) -> list[str]:
    """Serious and critical WCAG 2.1 A/AA violations that axe-core finds on the page."""
    # Evaluated by the driver, not as a <script>: the pages' CSP rightly refuses inline code.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        """async () => {
            const rules = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
            const r = await axe.run(document, {runOnly: rules});
            return r.violations.filter(v => ["serious", "critical"].includes(v.impact))
                .map(v => v.id + ": " + v.nodes.map(n => n.target.join(" ")).join(", "));
        }"""
    )
    return list(found)


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_request_travels_from_the_kazakh_node_to_the_russian_and_back(
    demo: Demo, browser: Browser
) -> None:
    kaz, rus = demo.urls["KAZ-NODE"], demo.urls["RUS-NODE"]
    officer = signed_in(browser, demo, "kaz-mvd.officer", "KAZ-NODE")
    shot(officer, "inbox")
    officer.goto(f"{kaz}/requests/new")
    officer.select_option("#requested_body", "RUS-MVD")
    fields = {
        "purpose": "Установить владельца кошелька, на который выведены похищенные средства",
        "justification": "Уголовное дело № 2026-0117 (мошенничество, ст. 190 УК РК)",
        "substance": "Средства клиентов банков выведены через сервис в Российской Федерации",
        "operational_search_measures": "Установить владельца кошелька TQ7x…9Lm",
        "execution_terms": "30 суток (ст. 7 п. 2 Протокола)",
        "legal_qualification": "ст. 190 ч. 4 УК Республики Казахстан",
    }
    for name, value in fields.items():
        officer.fill(f"#{name}", value)
    shot(officer, "compose")
    officer.click("#compose button[type=submit]")
    expect(officer.locator("h1")).to_contain_text("KAZ-MVD-")
    request_id = officer.locator("h1").inner_text().split()[0]
    url_kaz = f"{kaz}/requests/{request_id}"
    # Only a signatory signs (Art. 6 para 5): the officer is not offered it...
    assert officer.locator("button[value='sign']").count() == 0
    # ... and a forged post is refused with the article.
    refused = officer.evaluate(
        """async (id) => {
            const csrf = document.querySelector("input[name=csrf]").value;
            const body = new URLSearchParams({action: "sign", csrf});
            const r = await fetch(`/requests/${id}/act`, {method: "POST", body});
            return [r.status, await r.text()];
        }""",
        request_id,
    )
    assert refused[0] == 422 and "Art. 6 para 5" in refused[1]

    head = signed_in(browser, demo, "kaz-mvd.head", "KAZ-NODE")
    head.goto(url_kaz)
    act(head, "sign")
    officer.goto(url_kaz)
    act(officer, "send")
    expect(officer.locator("h1 .state")).to_contain_text("sent")
    shot(officer, "request-sent")

    url_rus = f"{rus}/requests/{request_id}"
    fsb = signed_in(browser, demo, "rus-fsb.officer", "RUS-NODE")
    rus_officer = signed_in(browser, demo, "rus-mvd.officer", "RUS-NODE")
    wait_for(rus_officer, f"{rus}/requests?box=in", request_id)
    # Another body of the same node may not open the case before it is forwarded to it.
    assert fsb.goto(url_rus).status == 403  # type: ignore[union-attr]
    rus_officer.goto(url_rus)
    act(rus_officer, "receive")
    act(rus_officer, "forward", target_body="RUS-FSB")
    expect(rus_officer.locator("h1 .state")).to_contain_text("forwarded")

    fsb.goto(url_rus)
    act(fsb, "start_execution")
    act(fsb, "execute", text="Владелец кошелька установлен; протокол опроса прилагается")
    expect(fsb.locator("h1 .state")).to_contain_text("executed")
    shot(fsb, "request-executed-rus")

    wait_for(officer, url_kaz, "Владелец кошелька установлен")
    expect(officer.locator("h1 .state")).to_contain_text("executed")
    assert "via node" in officer.content()
    shot(officer, "request-results-kaz")
    assert officer.locator("button[value='close']").count() == 1
    pdf = officer.request.get(f"{url_kaz}/pdf")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    # The main pages pass axe-core's WCAG 2.1 A/AA checks (labels, contrast, names, ARIA).
    for path in (url_kaz, f"{kaz}/requests?box=in", f"{kaz}/requests/new", f"{kaz}/registry"):
        officer.goto(path)
        assert accessibility_problems(officer) == [], path


def test_a_wrong_code_keeps_the_officer_out(demo: Demo, browser: Browser) -> None:
    account = demo.login("blr-mvd.officer", "BLR-NODE")
    page = browser.new_context().new_page()
    page.goto(f"{account['url']}/login?lang=en")
    page.fill("#officer_id", "blr-mvd.officer")
    page.fill("#password", account["password"])
    page.fill("#code", "000000")
    page.click("form[action='/login'] button[type=submit]")
    expect(page.locator(".error")).to_contain_text("Wrong officer id, password or one-time code")
    shot(page, "sign-in")
    page.goto(f"{account['url']}/requests")
    expect(page).to_have_url(re.compile(r"/login$"))


def test_a_record_is_shared_from_the_kazakh_node_and_read_under_a_purpose(
    demo: Demo, browser: Browser
) -> None:
    """Issue 5 in the browser: a record composed at the Kazakh node, shared with Russia, read
    there under a permitted purpose and refused under another; the records pages pass axe."""
    kaz, rus = demo.urls["KAZ-NODE"], demo.urls["RUS-NODE"]
    officer = signed_in(browser, demo, "kaz-mvd.officer", "KAZ-NODE")
    officer.goto(f"{kaz}/records/new?kind=person")
    title = f"Организатор фишинговых рассылок {time.time_ns()}"
    officer.fill("#title", title)
    officer.fill("#summary", "Рассылка писем от имени банков второго уровня.")
    officer.fill("#legal_qualification", "ст. 190 ч. 4 УК РК")
    officer.fill("[id='p0.names']", "Кайрат Нурланович Ахметов\nKairat Nurlanovich Akhmetov")
    officer.fill("[id='p0.identifiers']", "phone: 8 (701) 123-45-67")
    officer.check("input[name='purpose.investigation']")
    officer.click("form[action='/records/new'] button[type=submit]")
    expect(officer.locator("[role=status]")).to_contain_text("shared with nobody yet")
    record_url = officer.url.split("?")[0]
    officer.select_option("select[name=purpose]", "investigation")
    officer.click("form[aria-label] button[type=submit]")
    expect(officer.locator("h1")).to_contain_text(title)
    officer.check("input[name='party.RUS']")
    officer.click("form[action$='/share'] button[type=submit]")
    expect(officer.locator("dl.facts")).to_contain_text("RUS")
    pages = [officer.url, f"{kaz}/records", f"{kaz}/records/new", f"{kaz}/consents",
             f"{kaz}/search?q=Ахметов&purpose=investigation", f"{kaz}/records/import"]  # fmt: skip
    for path in pages:
        officer.goto(path)
        assert accessibility_problems(officer) == [], path

    reader = signed_in(browser, demo, "rus-mvd.officer", "RUS-NODE")
    wait_for(reader, f"{rus}/records", title)
    record_id = record_url.rsplit("/", 1)[1]
    reader.goto(f"{rus}/records/{record_id}?purpose=investigation")
    expect(reader.locator("main")).to_contain_text("Kairat Nurlanovich Akhmetov")
    shot(reader, "record-read-rus")
    reader.goto(f"{rus}/search?q=Qairat+Akhmetov&purpose=investigation")
    expect(reader.locator("main")).to_contain_text("Kairat Nurlanovich Akhmetov")
    shot(reader, "search-across-scripts")
    denied = reader.goto(f"{rus}/records/{record_id}?purpose=training")
    assert denied is not None and denied.status == 403
    expect(reader.locator("main")).to_contain_text("Art. 10 para 2")
    shot(reader, "record-denied-purpose")
    assert "Kairat" not in reader.content()
    assert accessibility_problems(reader) == []
