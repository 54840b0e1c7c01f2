"""Open a page in real headless Chromium and report what a person would see go wrong.

Driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: JSON messages ending in
NUL on file descriptors 3 and 4), so no port is opened and nothing but the standard library is
needed. `load_page` returns every image's load state, the console errors, uncaught exceptions
and browser log errors (failed loads, refused by the Content-Security-Policy), and a full-page
screenshot. Deadlines are generous: they catch a hang, not a slow machine.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)

IMAGES_JS = """JSON.stringify(Array.from(document.images).map(i => ({
  alt: i.alt, complete: i.complete, naturalWidth: i.naturalWidth, naturalHeight: i.naturalHeight,
  src: i.getAttribute('src').slice(0, 40)})))"""


@dataclass
class PageResult:
    images: list[dict[str, Any]]
    errors: list[str]  # console errors, uncaught exceptions, browser log errors
    screenshot_png: bytes
    title: str = ""
    requests: list[str] = field(default_factory=list)  # every URL the page asked for


class _Pipe:
    def __init__(self, proc: subprocess.Popen, to_browser: int, from_browser: int) -> None:
        self.proc, self.w, self.r = proc, to_browser, from_browser
        self.next_id = 0
        self.buffer = b""
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self.w, json.dumps(message).encode() + b"\0")
        return self.next_id

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer")
            ready, _, _ = select.select([self.r], [], [], left)
            if ready:
                chunk = os.read(self.r, 1 << 20)
                if not chunk:
                    raise RuntimeError(f"Chromium exited (code {self.proc.poll()})")
                self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, params: dict | None = None, session: str | None = None, timeout=60.0):
        wanted = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            message = self._read(deadline)
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)


def load_page(path: Path, width: int = 1100, timeout: float = 120.0) -> PageResult:
    """Open `path` (a local file) in headless Chromium; see the module doc."""
    profile = tempfile.mkdtemp(prefix="backform-chromium-")
    to_r, to_w = os.pipe()
    from_r, from_w = os.pipe()

    def wire_fds() -> None:  # in the child: Chromium reads commands on 3, writes on 4
        # Via descriptors above 10 first, so that one of the pipes being 3 or 4 is no problem.
        high_r, high_w = fcntl.fcntl(to_r, fcntl.F_DUPFD, 10), fcntl.fcntl(from_w, fcntl.F_DUPFD, 10)
        os.dup2(high_r, 3)
        os.dup2(high_w, 4)

    proc = subprocess.Popen(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},900", "about:blank"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=wire_fds,
        pass_fds=(3, 4),  # kept open after preexec_fn wired them
    )
    os.close(to_r)
    os.close(from_w)
    pipe = _Pipe(proc, to_w, from_r)
    try:
        targets = pipe.call("Target.getTargets", timeout=timeout)["targetInfos"]
        page = next(t["targetId"] for t in targets if t["type"] == "page")
        session = pipe.call("Target.attachToTarget", {"targetId": page, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            pipe.call(f"{domain}.enable", session=session)
        url = path.resolve().as_uri()
        pipe.call("Page.navigate", {"url": url}, session=session)
        # Loaded when the document at `url` says so (a load event could still be about:blank's).
        deadline = time.monotonic() + timeout
        while _page_state(pipe, session) != f"complete {url}":
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not finish loading")
            time.sleep(0.05)
        evaluated = pipe.call(
            "Runtime.evaluate", {"expression": IMAGES_JS, "returnByValue": True}, session=session
        )
        images = json.loads(evaluated["result"]["value"])
        title = pipe.call(
            "Runtime.evaluate", {"expression": "document.title", "returnByValue": True}, session=session
        )["result"]["value"]
        height = pipe.call(
            "Runtime.evaluate",
            {"expression": "document.documentElement.scrollHeight", "returnByValue": True},
            session=session,
        )["result"]["value"]
        pipe.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": int(height), "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        shot = pipe.call("Page.captureScreenshot", {"format": "png"}, session=session, timeout=timeout)
        return PageResult(
            images=images,
            errors=_errors(pipe.events),
            screenshot_png=base64.b64decode(shot["data"]),
            title=title,
            requests=[
                e["params"]["request"]["url"]
                for e in pipe.events
                if e.get("method") == "Network.requestWillBeSent"
            ],
        )
    finally:
        try:
            pipe.send("Browser.close")
            proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
        os.close(to_w)
        os.close(from_r)
        shutil.rmtree(profile, ignore_errors=True)


def _page_state(pipe: _Pipe, session: str) -> str:
    """`readyState URL` of the page; empty while a navigation swaps the document."""
    expression = {"expression": "document.readyState + ' ' + location.href", "returnByValue": True}
    try:
        return pipe.call("Runtime.evaluate", expression, session=session)["result"]["value"]
    except RuntimeError:  # "execution context was destroyed": the new document is on its way
        if pipe.proc.poll() is not None:
            raise
        return ""


def _errors(events: list[dict]) -> list[str]:
    out = []
    for e in events:
        method, params = e.get("method"), e.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            out.append(
                "console: " + " ".join(str(a.get("value", a.get("description"))) for a in params["args"])
            )
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            out.append(
                "exception: " + str(details.get("exception", {}).get("description", details.get("text")))
            )
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            out.append(f"log ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}".strip())
        elif method == "Network.loadingFailed":
            out.append(f"load failed: {params.get('errorText')} {params.get('blockedReason', '')}".strip())
    return out
