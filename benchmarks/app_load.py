"""Load benchmark of the classroom app: real browser sessions (Playwright + Debian's Chromium).

Starts the app's server on a free 127.0.0.1 port (offline settings, as ``joint-sanctions app``
does), then

1. one session on ``classroom``: 1-day steps (time from click to the new day on screen), Play
   (updates a second, time to day 365), a knob change at day 365 (time to the new world), a twin
   world at day 365 (time until world B is shown);
2. ``--sessions N`` sessions at once (default 30), each stepping a week at a time and moving a
   knob: disconnects, step latency (median, p95), server memory idle / peak / after all close.

Prints the figures; it is not a timed test. Usage::

    .venv/bin/python benchmarks/app_load.py [--sessions 30] [--single-only] [--multi-only]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from playwright.async_api import async_playwright  # noqa: E402

from simulation.viz.app_assets import default_assets_dir, fetch_assets, server_env, solara_command  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--proxy-server=http://127.0.0.1:9", "--disable-renderer-backgrounding",
        "--disable-background-timer-throttling", "--disable-backgrounding-occluded-windows"]
DAY = ".js-day .js-card-value"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_server(max_sessions: int) -> tuple[subprocess.Popen, str]:
    assets = fetch_assets(default_assets_dir(), quiet=True)
    port = free_port()
    env = {**os.environ, **server_env(assets), "PYTHONPATH": str(REPO),
           "JOINT_SANCTIONS_APP_MAX_SESSIONS": str(max_sessions)}
    log = open(Path(tempfile.gettempdir()) / "app_load_server.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(solara_command(port), env=env, stdout=log, stderr=subprocess.STDOUT,
                            cwd=tempfile.gettempdir())
    url = f"http://127.0.0.1:{port}/"
    for _ in range(600):
        try:
            urllib.request.urlopen(url, timeout=2)
            return proc, url
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not start")


async def day_of(page) -> int:
    text = await page.locator(DAY).inner_text()
    return int(text.split("/")[0])


async def wait_day(page, want: int, timeout: float = 120.0) -> float:
    t0 = time.monotonic()
    await page.wait_for_function(
        "([css, want]) => { const e = document.querySelector(css);"
        " return e && parseInt(e.textContent) === want; }", arg=[DAY, want], timeout=timeout * 1000,
        polling="raf")
    return time.monotonic() - t0


async def open_session(browser, url):
    ctx = await browser.new_context(viewport={"width": 1400, "height": 900})
    page = await ctx.new_page()
    foreign = []
    page.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1", "data:", "blob:"))
            else foreign.append(r.url))
    await page.goto(url, timeout=300_000)
    await page.locator(DAY).wait_for(timeout=300_000)
    await wait_day(page, 0)
    return ctx, page, foreign


async def single(browser, url) -> dict:
    ctx, page, foreign = await open_session(browser, url)
    out: dict = {}
    await page.get_by_role("button", name="1 day").click()
    steps = []
    for i in range(1, 21):
        t0 = time.monotonic()
        await page.locator(".js-step").click()
        await wait_day(page, i)
        steps.append(time.monotonic() - t0)
    out["step_1day_median_s"] = statistics.median(steps)
    # Play from day 20: count distinct days seen on screen
    seen: list[tuple[float, int]] = []
    t0 = time.monotonic()
    await page.locator(".js-play").click()
    while True:
        d = await day_of(page)
        if not seen or seen[-1][1] != d:
            seen.append((time.monotonic() - t0, d))
        if d >= 365:
            break
        await asyncio.sleep(0.02)
    play_s = seen[-1][0]
    out["play_to_365_s"] = play_s
    out["play_updates_per_s"] = (len(seen) - 1) / play_s if play_s else float("nan")
    # knob at day 365
    label = page.locator(".js-knob-deletion-sharing .js-knob-label")
    before = await label.inner_text()
    await page.locator(".js-knob-deletion-sharing [role=slider]").focus()
    t0 = time.monotonic()
    await page.keyboard.press("ArrowLeft")
    await page.wait_for_function(
        "([b]) => { const e = document.querySelector('.js-knob-deletion-sharing .js-knob-label');"
        " return e && e.textContent !== b && !document.querySelector('.js-busy'); }", arg=[before],
        timeout=120_000, polling="raf")
    out["knob_at_365_s"] = time.monotonic() - t0
    # twin world at day 365
    await page.get_by_role("tab", name="Twin worlds").click()
    await page.locator(".js-twin-select").click()
    t0 = time.monotonic()
    await page.get_by_role("option", name="Appeals switched the other way").click()
    await page.locator(".js-world-b-wrongful").wait_for(timeout=120_000)
    out["twin_at_365_s"] = time.monotonic() - t0
    out["foreign_requests"] = len(foreign)
    await ctx.close()
    return out


async def student(browser, url, i: int, steps: list[float], problems: list[str]) -> None:
    ctx, page, foreign = await open_session(browser, url)
    try:
        for k in range(1, 9):
            t0 = time.monotonic()
            await page.locator(".js-step").click()
            await wait_day(page, 7 * k, timeout=300)
            steps.append(time.monotonic() - t0)
            if k == 4:  # move a knob halfway through
                await page.locator(".js-knob-sharing [role=slider]").focus()
                await page.keyboard.press("ArrowLeft")
                await page.wait_for_function(
                    "() => !document.querySelector('.js-busy')", timeout=300_000)
        body = (await page.locator("body").inner_text()).lower()
        if "disconnected" in body or "could not restore" in body:
            problems.append(f"session {i}: disconnected")
        if foreign:
            problems.append(f"session {i}: requests left 127.0.0.1: {foreign[:3]}")
    except Exception as exc:  # a session that failed is a finding, not a crash of the benchmark
        problems.append(f"session {i}: {type(exc).__name__}: {str(exc)[:120]}")
    finally:
        await ctx.close()


async def multi(browser, url, pid: int, n: int) -> dict:
    idle = rss_mb(pid)
    steps: list[float] = []
    problems: list[str] = []
    peak = [idle]

    async def watch() -> None:
        while True:
            peak.append(rss_mb(pid))
            await asyncio.sleep(0.5)

    watcher = asyncio.create_task(watch())
    t0 = time.monotonic()
    await asyncio.gather(*(student(browser, url, i, steps, problems) for i in range(n)))
    wall = time.monotonic() - t0
    watcher.cancel()
    await asyncio.sleep(15)
    after = rss_mb(pid)
    steps.sort()
    return {
        "sessions": n, "wall_s": wall, "steps": len(steps),
        "step_median_s": statistics.median(steps) if steps else float("nan"),
        "step_p95_s": steps[int(0.95 * (len(steps) - 1))] if steps else float("nan"),
        "server_rss_idle_mb": idle, "server_rss_peak_mb": max(peak),
        "server_rss_per_session_mb": (max(peak) - idle) / n,
        "server_rss_after_close_mb": after, "problems": problems,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--single-only", action="store_true")
    parser.add_argument("--multi-only", action="store_true")
    args = parser.parse_args()
    proc, url = start_server(max(args.sessions + 2, 60))
    print(f"load average at start: {os.getloadavg()}; cores: {os.cpu_count()}")
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            if not args.multi_only:
                for k, v in (await single(browser, url)).items():
                    print(f"single  {k:28s} {v:.3f}" if isinstance(v, float) else f"single  {k:28s} {v}")
            if not args.single_only:
                for k, v in (await multi(browser, url, proc.pid, args.sessions)).items():
                    print(f"multi   {k:28s} {v:.3f}" if isinstance(v, float) else f"multi   {k:28s} {v}")
            await browser.close()
    finally:
        print(f"load average at end: {os.getloadavg()}")
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    asyncio.run(main())
