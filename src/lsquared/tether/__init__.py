"""Tethering: every shot from a camera's folder into a live album, once, through faults.

``lsquared tether FOLDER --album ID`` watches a folder (a card, or where gphoto2 / LUMIX
Tether / Capture One write), waits until each file is complete, and uploads it in resumable
chunks (the share service's tus-style uploads, lsquared.share.resumable) in shooting order.

    files.py    which names are pictures, when a file is complete (opens as its name says)
    state.py    the SQLite state file: what was seen, queued, sent (keyed by content hash)
    upload.py   the chunked, resumable upload client (httpx)
    engine.py   the watcher, the settle check, the queue and the uploader with backoff
    status.py   the live status line (rich), or plain lines when not on a terminal

Heavy imports (watchfiles, httpx, rich, Pillow, PyAV) stay inside functions.
"""

from __future__ import annotations

from .engine import Tether, TetherOptions

__all__ = ["Tether", "TetherOptions"]
