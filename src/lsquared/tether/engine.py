"""The tether: watch a folder, wait until each file is complete, send it once, in shooting order.

Three parts run together:

* a watcher thread (watchfiles, Rust notify) reports paths that appeared or changed; a rescan
  of the whole folder every ``rescan_seconds`` catches what the watcher missed (events get lost
  on network shares, FUSE mounts and card readers);
* the main loop settles candidates: a file is taken once its (size, mtime) has not changed for
  ``settle_seconds`` and it opens as what its name says (tether.files), then it is hashed and
  queued in the state file under its SHA-256 (a rename or a copy of a known shot is no new
  shot);
* an uploader thread sends the earliest queued shot (by modification time, then name) in
  resumable chunks.  When the server or the network is down it waits with exponential
  backoff and full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter", 2015:
  sleep = uniform(0, min(cap, base * 2**n))) and retries the same shot, so the queue goes
  out in shooting order when the server is back; an interrupted upload continues from the
  server's confirmed offset, also after the tether itself was killed.

The originals are only ever opened for reading.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError, ParameterError
from . import files
from .state import STATE_NAME, State
from .upload import Gone, Refused, Sent, Transient, Uploader


@dataclass(frozen=True, slots=True, kw_only=True)
class TetherOptions:
    folder: Path
    server: str
    token: str
    album_id: int
    state_file: Path | None = None      # default: FOLDER/.lsquared-tether.sqlite
    settle_seconds: float = 2.0         # size and mtime unchanged this long: the writer is done
    rescan_seconds: float = 10.0        # full rescan (the watcher's safety net)
    new_only: bool = False              # skip what is in the folder at start
    once: bool = False                  # send what is there, then stop
    retry_for: float | None = None      # give up on an unreachable server after this long (--once)
    chunk_size: int = 8 << 20           # bytes per PATCH (a broken upload loses at most this)
    max_rate: float | None = None       # bytes/s over all uploads (None: as fast as it goes)
    backoff_base: float = 0.5           # first retry waits up to this long
    backoff_cap: float = 30.0           # ... and never more than this
    link: str | None = None             # the album's share link, for the status line
    poll_seconds: float = 0.25          # the settle loop's tick

    def __post_init__(self) -> None:
        object.__setattr__(self, "folder", Path(self.folder).expanduser().resolve())
        if not self.folder.is_dir():
            raise InputError("is not a folder", path=self.folder, hint="give the folder the camera writes into")
        if self.settle_seconds < 0 or self.rescan_seconds <= 0:
            raise ParameterError("--settle must be 0 or more and --rescan more than 0 seconds")
        if self.chunk_size < 1024:
            raise ParameterError("--chunk-size must be at least 1K")
        if self.backoff_base <= 0 or self.backoff_cap < self.backoff_base:
            raise ParameterError("--max-backoff must be at least the first retry's wait")

    @property
    def state_path(self) -> Path:
        return Path(self.state_file).expanduser().resolve() if self.state_file else self.folder / STATE_NAME

    @property
    def destination(self) -> str:
        return f"{self.server.rstrip('/')}#album={self.album_id}"


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**attempt)] (attempt 0 is the first retry)."""
    return rng.uniform(0.0, min(cap, base * (2 ** min(attempt, 30))))


@dataclass
class Totals:
    """What happened in this run (the state file holds the whole history)."""
    sent: int = 0
    duplicates: int = 0          # accepted, the album already held the content
    failed: int = 0
    copies: int = 0              # a file whose content was already known (renamed or copied)
    unreadable: int = 0          # complete by size and time, but not a readable picture
    bytes_sent: int = 0
    resumed: int = 0             # uploads continued from a confirmed offset
    started: float = field(default_factory=time.monotonic)


@dataclass
class _Candidate:
    signature: tuple[int, int]
    since: float                 # wall time since which the signature is unchanged
    confirmed: bool = False      # seen unchanged on a second look


class Tether:
    def __init__(self, options: TetherOptions, status=None):
        from .status import PlainStatus

        self.o = options
        self.status = status or PlainStatus()
        self.state = State(options.state_path, options.destination)
        self.totals = Totals()
        self.stop_event = threading.Event()
        self._wake_uploader = threading.Event()
        self._notices: set[Path] = set()
        self._notices_lock = threading.Lock()
        self._pending: dict[Path, _Candidate] = {}
        self._skip_initial: dict[Path, tuple[int, int]] = {}
        self._reported: set[Path] = set()        # files refused in an earlier run, reported in this one
        self._initial_done = threading.Event()
        self._uploading = threading.Event()      # set while a shot is in the uploader's hands
        self.fatal: BaseException | None = None
        self.waiting_since: float | None = None  # the server unreachable since (None: fine)
        self._rng = random.Random()
        self._skip = {options.state_path, options.state_path.with_name(options.state_path.name + "-wal"),
                      options.state_path.with_name(options.state_path.name + "-shm")}

    # --- watching ------------------------------------------------------------------------------
    def _watch(self) -> None:
        import watchfiles

        try:
            for changes in watchfiles.watch(self.o.folder, stop_event=self.stop_event, recursive=True,
                                            debounce=200, step=50, rust_timeout=1000, yield_on_timeout=False,
                                            raise_interrupt=False):
                with self._notices_lock:
                    for change, name in changes:
                        if change != watchfiles.Change.deleted:
                            self._notices.add(Path(name))
        except Exception as exc:           # the watcher is a convenience: the rescans still run
            self.status.note(f"file watching stopped ({exc}); rescanning every {self.o.rescan_seconds:g} s")

    def _candidate(self, path: Path, now: float) -> None:
        if path in self._pending or path in self._skip or files.kind_by_name(path) is None:
            return
        sig = files.signature(path)
        if sig is None or not path.is_file():
            return
        if self._skip_initial.get(path) == sig:
            return
        known = self.state.seen(path, *sig)
        if known is not None:
            sha256, error = known
            if sha256 is not None and self.state.add(sha256, path, *sig):   # state reused for another album
                self.status.event("queued", path.name)
                self._wake_uploader.set()
            elif path not in self._reported:             # refused before: say so once per run
                problem = error if sha256 is None else self.state.failure_of(sha256)
                if problem is not None:
                    self._reported.add(path)
                    if sha256 is None:
                        self.totals.unreadable += 1
                    else:
                        self.totals.failed += 1
                    self.status.note("not sent (earlier run): " + (problem if sha256 is None else f"{path.name}: {problem}"))
            return
        # unchanged since its modification time, at best: an old file settles at once
        self._pending[path] = _Candidate(sig, min(now, sig[1] / 1e9))

    def _rescan(self, now: float) -> None:
        for path in files.walk(self.o.folder, self._skip):
            self._candidate(path, now)

    def _settle(self, now: float) -> None:
        ready = []
        for path, cand in list(self._pending.items()):
            sig = files.signature(path)
            if sig is None:
                del self._pending[path]
            elif sig != cand.signature:
                self._pending[path] = _Candidate(sig, now)
            elif not cand.confirmed:
                cand.confirmed = True
            elif now - cand.since >= self.o.settle_seconds:
                ready.append((sig[1], path.name, path, sig))
        for _, _, path, sig in sorted(ready):          # oldest first
            del self._pending[path]
            self._take(path, sig)

    def _take(self, path: Path, sig: tuple[int, int]) -> None:
        """A settled file: check it opens, hash it, queue it (or recognise it)."""
        from ..io.files import file_sha256

        problem = files.opens_as_named(path)
        if problem is not None:
            self.state.remember(path, *sig, None, problem)
            self.totals.unreadable += 1
            self.status.note(f"not sent (yet): {problem}")
            return
        sha256 = file_sha256(path)
        if files.signature(path) != sig:            # changed while hashed: settle again
            return
        self.state.remember(path, *sig, sha256)
        if self.state.add(sha256, path, sig[0], sig[1]):
            self.status.event("queued", path.name)
            self._wake_uploader.set()
        else:
            self.totals.copies += 1
            self.status.event("known", path.name)

    # --- uploading -----------------------------------------------------------------------------
    def _source_of(self, shot) -> Path | None:
        """Where the shot's bytes are now: its path, or another path with the same content
        (renamed, or copied) and unchanged since it was hashed."""
        for path in [Path(shot.path)] + [p for p in self.state.paths_of(shot.sha256) if str(p) != shot.path]:
            sig = files.signature(path)
            known = self.state.seen(path, *sig) if sig is not None else None
            if known is not None and known[0] == shot.sha256:
                return path
        return None

    def _upload_loop(self, uploader: Uploader) -> None:
        attempt = 0
        while not self.stop_event.is_set():
            if not self._initial_done.is_set():         # what was there at start goes first, in order
                self._initial_done.wait(0.2)
                continue
            shot = self.state.next_queued()
            if shot is None:
                self._uploading.clear()
                self._wake_uploader.wait(0.5)
                self._wake_uploader.clear()
                continue
            self._uploading.set()
            try:
                self._upload_one(uploader, shot)
                attempt = 0
                if self.waiting_since is not None:
                    self.waiting_since = None
                    self.status.note("the server is back")
            except Transient as exc:
                if self.waiting_since is None:
                    self.waiting_since = time.time()
                delay = backoff_delay(attempt, self.o.backoff_base, self.o.backoff_cap, self._rng)
                attempt += 1
                self.status.waiting(str(exc), delay)
                self.stop_event.wait(delay)
            except Refused as exc:
                if exc.status in (401, 403):              # the token: nothing will go through
                    self.fatal = exc
                    self.stop_event.set()
                    return
                if exc.status == 404 and shot.upload_url is None:   # the album is not there
                    self.fatal = exc
                    self.stop_event.set()
                    return
                self.state.update(shot.sha256, state="failed", error=exc.one_line())
                self.totals.failed += 1
                self.status.event("failed", shot.name, exc.one_line())
            except Exception as exc:                      # a bug or a local I/O error: say it, go on
                self.state.update(shot.sha256, state="failed", error=f"{type(exc).__name__}: {exc}")
                self.totals.failed += 1
                self.status.event("failed", shot.name, f"{type(exc).__name__}: {exc}")
        self._uploading.clear()

    def _upload_one(self, uploader: Uploader, shot) -> None:
        source = self._source_of(shot)
        if source is None:
            self.state.update(shot.sha256, state="failed", error="the file changed or disappeared before it was sent")
            self.totals.failed += 1
            self.status.event("failed", shot.name, "changed or disappeared before it was sent")
            return
        self.state.update(shot.sha256, state="sending")
        self.status.sending(shot.name, shot.confirmed, shot.size)

        def on_url(url: str) -> None:
            self.state.update(shot.sha256, upload_url=url, confirmed=0)

        def on_progress(confirmed: int, sent: int) -> None:
            self.state.update(shot.sha256, confirmed=confirmed)
            self.status.sending(shot.name, confirmed, shot.size)

        try:
            result: Sent = uploader.send(source, shot.name, shot.size, shot.upload_url, on_url,
                                         self._counting(on_progress))
        except Gone:
            self.state.update(shot.sha256, upload_url=None, confirmed=0)
            raise Transient("the server forgot the upload; starting it again") from None
        if result.photo.get("sha256") != shot.sha256:
            # the bytes on disk changed under us; a new settle will send the new content
            self.state.update(shot.sha256, state="failed", upload_url=None,
                              error="the file changed while it was being sent")
            self.totals.failed += 1
            self.status.event("failed", shot.name, "changed while it was being sent")
            return
        if result.resumed_at:
            self.totals.resumed += 1
        duplicate = bool(result.photo.get("duplicate"))
        self.state.update(shot.sha256, state="sent", photo_id=result.photo["id"], duplicate=int(duplicate),
                          confirmed=shot.size, sent_at=time.time(), error=None)
        self.totals.sent += 1
        self.totals.duplicates += duplicate
        detail = f"photo {result.photo['id']}" + (" (already in the album)" if duplicate else "") + \
            (f", resumed at byte {result.resumed_at}" if result.resumed_at else "") + f", {result.bytes_sent} bytes sent"
        self.status.event("sent", shot.name, detail)

    def _counting(self, on_progress):
        last = {"sent": 0}

        def wrapped(confirmed: int, sent: int) -> None:
            self.status.transferred(sent - last["sent"])
            self.totals.bytes_sent += sent - last["sent"]
            last["sent"] = sent
            on_progress(confirmed, sent)

        return wrapped

    # --- the run -------------------------------------------------------------------------------
    def run(self) -> int:
        """Watch and send until stopped (or, with ``once``, until what was there is sent);
        returns the exit status: 0 when every file was accepted."""
        import signal

        o = self.o
        uploader = Uploader(o.server, o.token, o.album_id, chunk_size=o.chunk_size, max_rate=o.max_rate)
        threads = [threading.Thread(target=self._upload_loop, args=(uploader,), name="tether-upload", daemon=True)]
        if not o.once:
            threads.append(threading.Thread(target=self._watch, name="tether-watch", daemon=True))
        previous = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                previous[sig] = signal.signal(sig, lambda *_: self.stop_event.set())
        self.status.start(self)
        try:
            for t in threads:
                t.start()
            now = time.time()
            if o.new_only:
                for path in files.walk(o.folder, self._skip):
                    sig = files.signature(path)
                    if sig is not None:
                        self._skip_initial[path] = sig
            else:
                self._rescan(now)
            # what is there now (settled) is taken before anything new, oldest first
            while self._pending and not self.stop_event.is_set():
                self._settle(time.time())
                if self._pending:
                    self.stop_event.wait(o.poll_seconds)
            self._initial_done.set()
            self._wake_uploader.set()
            if o.new_only:
                self.status.note(f"tether: {len(self._skip_initial)} files already there skipped (--new-only)")
            if not o.once:
                self.status.note("tether: ready, watching for new files")
            last_scan = time.monotonic()
            deadline = None if o.retry_for is None else time.monotonic() + o.retry_for
            while not self.stop_event.is_set():
                with self._notices_lock:
                    notices, self._notices = self._notices, set()
                now = time.time()
                for path in notices:
                    self._candidate(path, now)
                if not o.once and time.monotonic() - last_scan >= o.rescan_seconds:
                    self._rescan(now)
                    last_scan = time.monotonic()
                self._settle(now)
                self.status.refresh()
                if o.once and not self._pending and self.state.next_queued() is None and not self._uploading.is_set():
                    break
                if deadline is not None and time.monotonic() > deadline and self.waiting_since is not None:
                    self.status.note(f"giving up: the server has been unreachable since "
                                     f"{time.strftime('%H:%M:%S', time.localtime(self.waiting_since))}")
                    break
                self.stop_event.wait(o.poll_seconds)
        finally:
            self.stop_event.set()
            for t in threads:
                t.join(timeout=10)
            uploader.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            counts = self.state.counts()
            self.left = counts["queued"] + counts["sending"]
            self.status.stop(self)
            self.state.close()
        if self.fatal is not None:
            raise self.fatal
        return 0 if self.totals.failed == 0 and self.totals.unreadable == 0 and self.left == 0 else 1
