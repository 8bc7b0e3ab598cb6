"""The report in a real browser, offline: headless Chromium opens ``report.html`` with the network
cut and checks what a person would see.

Chromium is driven through the DevTools protocol over a pipe (``--remote-debugging-pipe``: JSON
messages separated by NUL on fds 3/4), so nothing but the standard library is needed. The network
is cut three ways: every host name resolves to nothing (``--host-resolver-rules``), every
request goes to a proxy on a closed local port (``--proxy-server=127.0.0.1:9``), and Chromium's
own background traffic is switched off. On top of that the test records every request the page
makes (``Network.requestWillBeSent``) and fails on any that is not ``file:``/``data:``/``blob:``.

Asserted: no console error or uncaught exception, every section present and visible, every map
drew as many open-DC markers (SVG points in the traces named ``DC open …``) as the results say
are open, and the state outlines are drawn. The full-page screenshot goes to
``test-artifacts/report.png``. Skipped only when no Chromium is installed (``make test`` installs
it on CI).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from test_report import SECTIONS, build_study

# Debian's /usr/bin/chromium is a shell launcher; the binary itself keeps the DevTools pipe fds
CHROMIUM = next((p for p in (os.environ.get("CHROMIUM"), "/usr/lib/chromium/chromium",
                             shutil.which("chromium"), shutil.which("chromium-browser"))
                 if p and Path(p).exists()), None)
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                                "(apt-get install chromium); the Makefile installs it for CI")

OFFLINE_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--disable-domain-reliability",
    "--no-default-browser-check", "--metrics-recording-only", "--mute-audio",
    "--disable-features=MediaRouter,OptimizationHints,Translate",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
    "--allow-file-access-from-files", "--hide-scrollbars",
]


class Browser:
    """A headless Chromium session over the DevTools pipe."""

    def __init__(self, profile: Path, width: int = 1440, height: int = 1000):
        profile.mkdir(parents=True, exist_ok=True)
        self.log = (profile / "chromium.log").open("wb")
        to_chrome_r, to_chrome_w = os.pipe()
        from_chrome_r, from_chrome_w = os.pipe()

        def child_fds() -> None:  # Chromium reads commands on fd 3 and writes on fd 4
            read = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)  # out of the way of 3 and 4
            write = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
            os.dup2(read, 3)
            os.dup2(write, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        self.proc = subprocess.Popen(
            [CHROMIUM, *OFFLINE_FLAGS, f"--user-data-dir={profile}",
             f"--window-size={width},{height}", "--remote-debugging-pipe", "about:blank"],
            close_fds=False, preexec_fn=child_fds,  # pipe fds are close-on-exec but 3/4
            stdout=subprocess.DEVNULL, stderr=self.log,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.out = os.fdopen(to_chrome_w, "wb", buffering=0)
        self.inp = os.fdopen(from_chrome_r, "rb", buffering=0)
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict] = []
        self.session: str | None = None

    def _read(self, timeout: float) -> dict:
        import select

        deadline = time.monotonic() + timeout
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.inp], [], [], left)[0]:
                raise TimeoutError("no answer from chromium")
            chunk = self.inp.read(1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, params: dict | None = None, *, session: bool = True,
             timeout: float = 60.0) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        self.out.write(json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read(timeout)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 60.0) -> dict:
        for event in self.events:
            if event.get("method") == method:
                return event
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            event = self._read(deadline - time.monotonic())
            self.events.append(event)
            if event.get("method") == method:
                return event
        raise TimeoutError(method)

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                self.events.append(self._read(deadline - time.monotonic()))
            except TimeoutError:
                return

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.send("Browser.close", session=False, timeout=10)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def open_page(browser: Browser, url: str) -> None:
    target = browser.send("Target.createTarget", {"url": "about:blank"}, session=False)
    attached = browser.send("Target.attachToTarget",
                            {"targetId": target["targetId"], "flatten": True}, session=False)
    browser.session = attached["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        browser.send(f"{domain}.enable")
    browser.send("Page.navigate", {"url": url})
    browser.wait_for("Page.loadEventFired", timeout=120)


def screenshot(browser: Browser, path: Path, width: int = 1440) -> None:
    height = int(browser.evaluate("document.documentElement.scrollHeight"))
    browser.send("Emulation.setDeviceMetricsOverride",
                 {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    browser.drain(1.5)  # let plotly re-layout at the new size
    shot = browser.send("Page.captureScreenshot",
                        {"format": "png", "captureBeyondViewport": True,
                         "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}},
                        timeout=120)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))


COUNT_JS = r"""
(() => {
  const maps = [...document.querySelectorAll('.map[data-open-dcs]')].map(box => {
    const gd = box.querySelector('.js-plotly-plot');
    const traces = gd ? [...gd.querySelectorAll('.scatterlayer .trace')] : [];
    let drawn = 0, names = [];
    traces.forEach(node => {
      const trace = node.__data__ && node.__data__[0] && node.__data__[0].trace;
      if (!trace) return;
      names.push(trace.name);
      if (String(trace.name).startsWith('DC open')) {
        drawn += node.querySelectorAll('path.point').length;
      }
    });
    const outline = traces.length
      ? traces[0].querySelectorAll('path.js-line, path.js-fill').length : 0;
    return {run: box.dataset.run, expected: +box.dataset.openDcs, drawn, names, outline};
  });
  const sections = [...document.querySelectorAll('section[id]')].map(s => ({
    id: s.id, heading: (s.querySelector('h2') || {}).textContent || '',
    height: s.getBoundingClientRect().height}));
  const plots = document.querySelectorAll('.js-plotly-plot').length;
  const divs = document.querySelectorAll('.plotly-graph-div').length;
  return {maps, sections, plots, divs, plotly: typeof window.Plotly};
})()
"""


def test_report_renders_offline(tmp_path):
    study, expected_open = build_study(tmp_path)
    report = study / "report.html"
    browser = Browser(tmp_path / "profile")
    try:
        open_page(browser, report.resolve().as_uri())
        browser.drain(3.0)
        state = browser.evaluate(COUNT_JS)
        screenshot(browser, ARTIFACTS / "report.png")
        browser.drain(0.5)
    finally:
        browser.close()

    errors = []
    for event in browser.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append(("console", [a.get("value", a.get("description"))
                                       for a in params.get("args", [])]))
        elif method == "Runtime.exceptionThrown":
            errors.append(("exception", params["exceptionDetails"].get("text"),
                           params["exceptionDetails"].get("exception", {}).get("description")))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            errors.append(("log", params["entry"].get("text"), params["entry"].get("url")))
    assert errors == []

    requests = [event["params"]["request"]["url"] for event in browser.events
                if event.get("method") == "Network.requestWillBeSent"]
    external = [u for u in requests if not u.startswith(("file:", "data:", "blob:", "about:"))]
    assert external == [], f"the report tried to load {external}"

    assert state["plotly"] == "object"
    assert state["plots"] == state["divs"] > 0, "every plotly div must render"
    found = {s["id"]: s for s in state["sections"]}
    for sid in SECTIONS:
        assert sid in found, f"section {sid} missing"
        assert found[sid]["heading"].strip(), f"section {sid} has no heading"
        assert found[sid]["height"] > 50, f"section {sid} is not visible"

    maps = {m["run"]: m for m in state["maps"]}
    assert set(maps) == set(expected_open)
    for run_id, count in expected_open.items():
        m = maps[run_id]
        assert m["expected"] == count, (run_id, m)
        assert m["drawn"] == count, f"{run_id}: map shows {m['drawn']} open DCs, results {count}"
        assert m["outline"] > 0, f"{run_id}: no state outlines drawn"
    assert (ARTIFACTS / "report.png").stat().st_size > 50_000
