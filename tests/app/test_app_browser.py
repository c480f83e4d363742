"""The classroom app in a real browser: Debian's Chromium driven by Playwright, fully offline.

Starts the app's Solara server on a free 127.0.0.1 port with the offline settings, then checks
that the page loads, a knob moves, Step / Run / Play change the numbers and the charts, every
panel renders, two browser sessions have independent worlds, and no request leaves 127.0.0.1
(the browser also runs behind a dead proxy, so nothing could leak even if the check were wrong).
Screenshots go to /tmp/app_*.png.

Skipped only when /usr/bin/chromium is missing (Debian: ``apt-get install -y chromium``; never
``playwright install``). The front-end assets are fetched with npm if not yet installed.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytest.importorskip("playwright")
from playwright.sync_api import expect, sync_playwright  # noqa: E402

from simulation.viz.app_assets import default_assets_dir, fetch_assets, server_env, solara_command  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--proxy-server=http://127.0.0.1:9",  # anything non-loopback would hit a dead proxy
]
REPO = Path(__file__).resolve().parents[2]
CLASS_CODE = "TESTK7"
SHOTS = Path(os.environ.get("APP_SCREENSHOTS", "/tmp"))

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason=f"{CHROMIUM} missing (apt-get install -y chromium)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app served like `joint-sanctions app` does, on a free port; yields URL and log."""
    assets = fetch_assets(default_assets_dir(), quiet=True)
    port = _free_port()
    tmp = tmp_path_factory.mktemp("app")
    log_path = tmp / "server.log"
    env = {**os.environ, **server_env(assets), "JOINT_SANCTIONS_CLASS_CODE": CLASS_CODE,
           "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)}
    url = f"http://127.0.0.1:{port}/"
    with open(log_path, "w") as log:
        # cwd: a scratch folder, so no stray .env file is read by solara
        proc = subprocess.Popen(solara_command(port), env=env, stdout=log, stderr=subprocess.STDOUT,
                                cwd=tmp)
    try:
        t0 = time.monotonic()
        while True:
            if proc.poll() is not None:
                pytest.fail(f"server exited with {proc.returncode}:\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() - t0 > 60:
                pytest.fail(f"server did not answer within 60 s:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield {"url": url, "log": log_path}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Recorder:
    """Every URL a page asks for, and anything that went wrong."""

    def __init__(self, page):
        self.urls: list[str] = []
        self.problems: list[str] = []
        page.on("request", lambda r: self.urls.append(r.url))
        page.on("websocket", lambda ws: self.urls.append(ws.url))
        page.on("requestfailed", lambda r: self.problems.append(f"failed {r.url}: {r.failure}"))
        page.on("response", lambda r: r.status >= 400 and self.problems.append(f"HTTP {r.status} {r.url}"))
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))

    def foreign(self) -> list[str]:
        return [u for u in self.urls if urlsplit(u).scheme not in ("data", "blob", "about")
                and urlsplit(u).hostname != "127.0.0.1"]


def _open(browser, url):
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    page = ctx.new_page()
    rec = Recorder(page)
    page.goto(url)
    expect(page.locator(".js-day .js-card-value")).to_have_text("0 / 365", timeout=60_000)
    return ctx, page, rec


def _day(page, text):
    expect(page.locator(".js-day .js-card-value")).to_have_text(text, timeout=120_000)


def _number(page, css) -> int:
    text = page.locator(f"{css} .js-card-value").first.inner_text()
    return int(re.sub(r"[^0-9]", "", text.split("(")[0]))


def _src(page, name) -> str:
    img = page.locator(f".js-chart-{name} img").first
    expect(img).to_be_visible(timeout=30_000)
    return img.get_attribute("src")


def _chart(page, name) -> dict:
    """What a live chart holds in the browser: days held, days received, legend totals."""
    canvas = page.locator(f".js-chart-{name} canvas").first
    expect(canvas).to_be_visible(timeout=30_000)
    return page.evaluate("""(name) => {
        const vm = document.querySelector(`.js-chart-${name} .js-echart`).__vue__;
        return {length: vm.length, received: vm.received, totals: vm.totals,
                legend: vm.chart.getOption().legend[0].formatter !== undefined};
    }""", name)


def _chart_days(page, name, days):
    page.wait_for_function("""([name, days]) => {
        const el = document.querySelector(`.js-chart-${name} .js-echart`);
        return el && el.__vue__ && el.__vue__.length === days;
    }""", arg=[name, days], timeout=30_000)


def test_app_in_browser_and_the_16_keypress_replay_at_day_365(server, browser):
    t0 = time.monotonic()
    ctx_a, a, rec_a = _open(browser, server["url"])
    assert _chart(a, "compliance")["length"] == 0

    # A knob: deletions that reach each agency 60% -> 50% (one key press at a time).
    knob = a.locator(".js-knob-deletion-sharing")
    expect(knob.locator(".js-knob-label")).to_contain_text("60%")
    knob.locator("[role=slider]").focus()
    for want in ("55%", "50%"):
        a.keyboard.press("ArrowLeft")
        # Replaying the worlds under the new value takes seconds on a loaded machine.
        expect(knob.locator(".js-knob-label")).to_contain_text(want, timeout=30_000)

    # Step one month, then run to the end: numbers and charts change.
    a.get_by_role("button", name="1 month").click()
    a.locator(".js-step").click()
    _day(a, "30 / 365")
    # judgments start on day 1; sanctions only after the first deadline (about a month)
    _chart_days(a, "compliance", 30)
    assert _chart(a, "compliance")["totals"]["judgments"] > 0
    a.locator(".js-run-end").click()
    _day(a, "365 / 365")
    _chart_days(a, "sanctions", 365)
    sanctions = _chart(a, "sanctions")
    # drawn in the browser from data, only the new days sent each frame (never a resend)
    assert sanctions["received"] == 365, sanctions
    assert _number(a, ".js-sanctions") > 0
    assert _number(a, ".js-wrongful") > 0
    # the legend counts each cause: the same numbers as the cards above
    assert round(sum(sanctions["totals"].values())) == _number(a, ".js-sanctions")
    assert round(sum(v for k, v in sanctions["totals"].items() if k != "correct")) \
        == _number(a, ".js-wrongful")
    expect(a.locator(".js-caption-sanctions")).to_be_visible()
    a.screenshot(path=str(SHOTS / "app_charts.png"))

    # Session B is a world of its own: day 0, knob at the scenario's value.
    ctx_b, b, rec_b = _open(browser, server["url"])
    expect(b.locator(".js-knob-deletion-sharing .js-knob-label")).to_contain_text("60%")
    b.locator(".js-step").click()
    _day(b, "7 / 365")
    _day(a, "365 / 365")
    # Play in B runs on its own and pauses; A is untouched.
    b.locator(".js-play").click()
    expect(b.locator(".js-day .js-card-value")).not_to_have_text("7 / 365", timeout=30_000)
    b.locator(".js-play").click()
    _day(a, "365 / 365")
    assert _number(b, ".js-day") > 7

    # The other panels of A.
    a.get_by_role("tab", name="Registry map").click()
    _src(a, "map")
    expect(a.locator(".js-caption-map")).to_contain_text("links")
    a.screenshot(path=str(SHOTS / "app_map.png"))
    a.get_by_role("tab", name="Case file").click()
    expect(a.locator(".js-entry").first).to_be_visible(timeout=30_000)
    expect(a.locator(".js-case")).to_contain_text("Sanctioned by")
    expect(a.locator(".js-case")).to_contain_text("Listed by")
    a.wait_for_timeout(600)  # let the tab's slide transition finish before the screenshot
    a.screenshot(path=str(SHOTS / "app_case.png"))
    a.get_by_role("tab", name="Twin worlds").click()
    a.locator(".js-twin-select").click()
    a.get_by_role("option", name="Appeals switched the other way").click()
    expect(a.locator(".js-twin-table")).to_be_visible(timeout=60_000)
    assert _number(a, ".js-world-b-wrongful") > _number(a, ".js-world-a-wrongful")
    _chart_days(a, "twin-wrongful", 365)
    a.screenshot(path=str(SHOTS / "app_twins.png"))
    b.screenshot(path=str(SHOTS / "app_session_b.png"))
    a.get_by_role("tab", name="Live charts").click()
    # world B stays chosen: the replay below rebuilds both worlds
    _sixteen_arrow_keys_keep_the_session(a, rec_a)

    for rec in (rec_a, rec_b):
        assert rec.urls, "no requests recorded?"
        assert rec.foreign() == [], f"requests left 127.0.0.1: {rec.foreign()}"
        assert rec.problems == [], rec.problems
    assert any("/_solara/cdn/" in u for u in rec_a.urls), "assets not served by the local proxy"
    log = server["log"].read_text()
    assert "Could not load URL" not in log, log  # the server never fell back to a CDN
    assert "Traceback" not in log, log
    ctx_a.close()
    ctx_b.close()
    print(f"browser part: {time.monotonic() - t0:.1f} s")


def _sixteen_arrow_keys_keep_the_session(page, rec):
    """The replay storm that once lost the instructor's world: 16 arrow-key presses at day 365
    (each once queued a year-long replay; after 42 s the page said "App is disconnected")."""
    _day(page, "365 / 365")
    knob = page.locator(".js-knob-deletion-sharing")
    knob.locator("[role=slider]").focus()
    t0 = time.monotonic()
    for _ in range(16):
        page.keyboard.press("ArrowLeft")
    # 50% minus 16 steps of 5%: clamped at 0%. One replay, shown with a busy sign meanwhile.
    expect(page.locator(".js-busy")).to_be_visible(timeout=10_000)
    expect(knob.locator(".js-knob-label")).to_contain_text(": 0%", timeout=120_000)
    expect(page.locator(".js-busy")).to_have_count(0, timeout=120_000)
    settled = time.monotonic() - t0
    _day(page, "365 / 365")
    body = page.locator("body").inner_text()
    assert "disconnected" not in body.lower() and "could not restore" not in body.lower()
    assert "Traceback" not in body
    assert rec.problems == [], rec.problems
    # still the same live session: it resets and steps on
    page.locator(".js-reset").click()
    _day(page, "0 / 365")
    page.locator(".js-step").click()
    _day(page, "30 / 365")
    print(f"16 key presses at day 365 settled in {settled:.1f} s")


def test_forged_values_are_refused_without_a_traceback(server, browser):
    """A browser that sends values the page never offered: a file path as the scenario, a knob
    far outside its range, a knob value that is not a number."""
    ctx, page, rec = _open(browser, server["url"])
    # what a hand-made websocket message would do: the widget reports a value of our choosing
    forge = """([css, event, value]) => {
        let vm = document.querySelector(css).__vue__;
        while (vm && !["v-select", "v-slider"].includes(vm.$options.name)) vm = vm.$parent;
        vm.$emit(event, value);
    }"""
    # the sidebar may render after the day card: wait for the selector before forging it
    expect(page.locator(".js-scenario").first).to_be_attached(timeout=60_000)
    page.evaluate(forge, [".js-scenario", "input", "../../../etc/passwd"])
    page.evaluate(forge, [".js-scenario", "change", "../../../etc/passwd"])
    expect(page.locator(".js-note")).to_contain_text("Ignored a value", timeout=30_000)
    # the world is still the classroom one (its question is shown), day 0, nothing loaded
    expect(page.locator(".js-question").first).to_contain_text("Classroom size")
    ctx.close()
    # knob values forged into a link: out of range (clamped), not offered, not a number
    ctx, page, rec = _open_link(browser, server["url"] + (
        "?scenario=classroom&set=registry.deletion_sharing=40&set=registry.matching=../../x"
        "&set=registry.sharing=NaN&set=population.individuals=123456789&day=0"))
    expect(page.locator(".js-note")).to_contain_text("registry.matching", timeout=30_000)
    expect(page.locator(".js-knob-deletion-sharing .js-knob-label")).to_contain_text(": 100%")
    expect(page.locator(".js-knob-sharing .js-knob-label")).to_contain_text(": 80%")
    expect(page.locator(".js-knob-people .js-knob-label")).to_contain_text(": 10,000")
    body = page.locator("body").inner_text()
    assert "Traceback" not in body and "passwd" not in body and "Error" not in body
    log = server["log"].read_text()
    assert "refused a value from the browser" in log and "Traceback" not in log
    assert rec.foreign() == [], rec.foreign()
    ctx.close()


def test_two_students_and_the_class_board(server, browser):
    """Two sessions join with the class code and appear on the instructor's board; a shared
    link opens a world exactly; nothing leaves 127.0.0.1."""
    board_ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    board = board_ctx.new_page()
    rec_board = Recorder(board)
    board.goto(server["url"] + "?board=WRONG1")
    expect(board.locator(".js-board-refused")).to_be_visible(timeout=60_000)
    board.goto(server["url"] + f"?board={CLASS_CODE}")
    expect(board.locator(".js-board-count")).to_contain_text("0 students", timeout=60_000)

    students = []
    for name, knob_presses in (("Ada", 2), ("Bo", 0)):
        ctx, page, rec = _open(browser, server["url"])
        if knob_presses:
            page.locator(".js-knob-deletion-sharing [role=slider]").focus()
            for _ in range(knob_presses):
                page.keyboard.press("ArrowLeft")
            expect(page.locator(".js-knob-deletion-sharing .js-knob-label")).to_contain_text(
                "50%", timeout=60_000)
        page.get_by_role("button", name="1 quarter").click()
        page.locator(".js-step").click()
        _day(page, "91 / 365")
        page.locator(".js-class-code input").fill(CLASS_CODE.lower())
        page.locator(".js-student-name input").fill(name)
        page.locator(".js-join-button").click()
        expect(page.locator(".js-joined")).to_contain_text(name, timeout=30_000)
        students.append((ctx, page, rec))
    expect(board.locator(".js-board-count")).to_contain_text("2 students", timeout=30_000)
    table = board.locator(".js-board-table")
    expect(table).to_contain_text("Ada")
    expect(table).to_contain_text("Deletions that reach each agency: 50%")
    expect(table).to_contain_text("Bo")
    board.wait_for_function("""() => {
        const el = document.querySelector('.js-chart-board .js-echart');
        return el && el.__vue__ && (el.__vue__.bars || {}).students
            && el.__vue__.bars.students.length === 2;
    }""", timeout=30_000)
    board.screenshot(path=str(SHOTS / "app_board.png"))

    # Ada's shared link opens her world exactly in a new session: knobs, day
    ada = students[0][1]
    href = ada.locator(".js-share-link").get_attribute("href")
    assert "deletion_sharing" in href and "day=91" in href
    ctx, page, rec = _open_link(browser, server["url"] + href)
    expect(page.locator(".js-knob-deletion-sharing .js-knob-label")).to_contain_text("50%")
    assert _number(page, ".js-wrongful") == _number(ada, ".js-wrongful")
    assert _number(page, ".js-sanctions") == _number(ada, ".js-sanctions")
    students.append((ctx, page, rec))

    for ctx, _page, rec in students:
        assert rec.foreign() == [] and rec.problems == [], (rec.foreign(), rec.problems)
        ctx.close()
    assert rec_board.foreign() == [], rec_board.foreign()
    # students who leave leave the board
    expect(board.locator(".js-board-count")).to_contain_text("0 students", timeout=60_000)
    board_ctx.close()


def _open_link(browser, url):
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    page = ctx.new_page()
    rec = Recorder(page)
    page.goto(url)
    _day(page, re.search(r"day=(\d+)", url).group(1) + " / 365")
    return ctx, page, rec
