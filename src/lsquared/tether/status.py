"""What the tether shows: a live status line on a terminal (rich), plain lines elsewhere.

    ⇡ album 7 · queued 3 · sending DSC_0412.NEF 62 % · sent 118 · failed 0 · 11.8 MB/s · https://.../s/...

The counts come from the state file (the whole history of this folder and album); the
throughput is the bytes confirmed over the last ten seconds.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import deque


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


def album_page(options) -> str:
    """The owner's page of the album (a share link's token is stored only as a hash: the tether
    cannot know it unless given with --link)."""
    return f"{options.server.rstrip('/')}/albums/{options.album_id}"


class PlainStatus:
    """One line per event, for logs, scripts and tests (and the base of the live line)."""

    WINDOW = 10.0

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()
        self._recent: deque[tuple[float, int]] = deque()
        self.current: tuple[str, int, int] | None = None      # name, confirmed, size
        self.waiting_note: str | None = None
        self._last_wait_print = 0.0
        self.tether = None

    # --- events from the tether ----------------------------------------------------------------
    def start(self, tether) -> None:
        self.tether = tether
        o = tether.o
        self.print(f"tether: watching {o.folder} for album {o.album_id} on {o.server}; "
                   + (f"share link {o.link}" if o.link else f"album page {album_page(o)} (--link shows the share link)"))

    def event(self, kind: str, name: str, detail: str = "") -> None:
        if kind in ("sent", "failed"):
            self.current = None
            self.waiting_note = None
        words = {"queued": "queued", "known": "already known (renamed or copied):", "sent": "sent",
                 "failed": "FAILED"}[kind]
        self.print(f"{words} {name}" + (f": {detail}" if detail else ""))

    def note(self, text: str) -> None:
        self.print(text)

    def waiting(self, why: str, delay: float) -> None:
        self.waiting_note = f"{why}; retrying in {delay:.1f} s"
        now = time.monotonic()
        if now - self._last_wait_print >= 5.0:          # the first, then one every 5 s
            self._last_wait_print = now
            self.print(f"waiting: {self.waiting_note}")

    def sending(self, name: str, confirmed: int, size: int) -> None:
        self.current = (name, confirmed, size)

    def transferred(self, n: int) -> None:
        with self._lock:
            now = time.monotonic()
            self._recent.append((now, n))
            while self._recent and self._recent[0][0] < now - self.WINDOW:
                self._recent.popleft()

    def throughput(self) -> float:
        with self._lock:
            now = time.monotonic()
            while self._recent and self._recent[0][0] < now - self.WINDOW:
                self._recent.popleft()
            if not self._recent:
                return 0.0
            return sum(n for _, n in self._recent) / self.WINDOW

    def refresh(self) -> None:
        pass

    def stop(self, tether) -> None:
        t = tether.totals
        took = time.monotonic() - t.started
        extra = [f"{t.duplicates} already in the album"] if t.duplicates else []
        extra += [f"{t.copies} copies or renames skipped"] if t.copies else []
        extra += [f"{t.unreadable} unreadable"] if t.unreadable else []
        extra += [f"{t.resumed} resumed"] if t.resumed else []
        self.print(f"tether: {t.sent} sent, {t.failed} failed, {getattr(tether, 'left', 0)} still queued"
                   + "".join(f", {e}" for e in extra)
                   + f"; {t.bytes_sent} bytes sent in {took:.1f} s")

    def print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    # --- the line ------------------------------------------------------------------------------
    def line(self) -> str:
        tether = self.tether
        counts = tether.state.counts() if tether is not None else {}
        parts = [f"album {tether.o.album_id}" if tether else "tether",
                 f"queued {counts.get('queued', 0)}"]
        if self.current is not None:
            name, confirmed, size = self.current
            parts.append(f"sending {name} {100 * confirmed // max(size, 1)} %")
        else:
            parts.append("sending -")
        parts += [f"sent {counts.get('sent', 0)}", f"failed {counts.get('failed', 0)}",
                  f"{human_bytes(self.throughput())}/s"]
        if tether is not None:
            parts.append(tether.o.link or album_page(tether.o))
        if self.waiting_note:
            parts.append(f"waiting: {self.waiting_note}")
        return " · ".join(parts)


class LiveStatus(PlainStatus):
    """The same events above a status line that rich redraws in place."""

    def __init__(self):
        from rich.console import Console

        super().__init__(sys.stdout)
        self.console = Console(stderr=False, highlight=False)
        self.live = None

    def start(self, tether) -> None:
        from rich.live import Live

        self.tether = tether
        self.live = Live(self._render(), console=self.console, refresh_per_second=4, transient=False,
                         get_renderable=self._render)
        self.live.start()
        super().start(tether)

    def _render(self):
        from rich.text import Text

        try:
            return Text("⇡ " + self.line(), style="bold", overflow="ellipsis", no_wrap=True)
        except Exception:          # the state file closed at the very end
            return Text("")

    def print(self, text: str) -> None:
        if self.live is not None:
            self.live.console.print(text, markup=False, highlight=False)
        else:
            super().print(text)

    def stop(self, tether) -> None:
        if self.live is not None:
            self.live.refresh()
            self.live.stop()
            self.live = None
        super().stop(tether)
