"""The develop workers: separate processes that take jobs from the database and make renditions.

``lsquared serve --workers N`` starts N of them (spawn start method: LibRaw's OpenMP and fork
do not mix), plus ``--preview-workers`` (1) that take only preview jobs: the develop workers
take previews first too, but a full develop, once started, runs for seconds, and with every
develop worker busy a new photo's preview would wait behind them; the preview lane makes it at
once, sharing the cores for the fraction of a second it needs (the queueing argument for a
separate interactive lane).  They die with the server (Linux PR_SET_PDEATHSIG, and a parent
check).  A job's
result is recorded only while the worker still holds its lease (jobs.finish is fenced), in
one transaction with the photo's new state and its event, so a photo is developed once even
when a worker is killed half-way and its job is taken again.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import threading
import time
import traceback

from sqlalchemy import select

from . import jobs
from . import service as sv
from .db import make_engine, session_factory
from .events import add_event
from .models import Album, Job, Photo
from .settings import Settings
from ..process import die_with_parent
from .storage import Store

ORIGINALS_SWEEP_SECONDS = 600.0          # a full pass over the store's originals, per worker

log = logging.getLogger("lsquared.share.worker")


class Stop(Exception):
    """SIGTERM: hand the current job back and leave."""


def look_spec(album_look: str, store: Store):
    return store.look_file(album_look[5:]) if album_look.startswith("file:") else album_look


class Worker:
    def __init__(self, settings: Settings, name: str | None = None, kinds: tuple[str, ...] | None = None):
        self.settings = settings
        self.kinds = kinds                   # None: every kind of job
        self.engine = make_engine(settings)
        self.sessions = session_factory(self.engine)
        self.store = Store(settings.data_dir)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self._last_sweep = 0.0
        self._last_originals_sweep = 0.0

    # --- one job -----------------------------------------------------------------------------
    def run_one(self) -> bool:
        """Take and do one job; False when the queue had none."""
        s = self.settings
        with self.sessions() as session:
            claim = jobs.claim(session, self.name, s.lease_seconds, s.max_attempts, self.kinds)
        if claim is None:
            self._sweep()
            return False
        stop_renewing = threading.Event()
        renewer = threading.Thread(target=self._renew, args=(claim, stop_renewing), daemon=True)
        renewer.start()
        try:
            self._do(claim)
        except Stop:
            self._hand_back(claim)
            raise
        except Exception as exc:                     # recorded, shown to the owner, retried
            from ..errors import LsquaredError

            message = exc.one_line() if isinstance(exc, LsquaredError) else f"{type(exc).__name__}: {exc}"
            log.warning("job %s (%s of photo %s) failed: %s", claim.id, claim.kind, claim.photo_id, message)
            if not isinstance(exc, LsquaredError):
                log.debug("%s", traceback.format_exc())
            self._record_failure(claim, message)
        finally:
            stop_renewing.set()
            renewer.join()
        return True

    def _renew(self, claim: jobs.Claim, stop: threading.Event) -> None:
        interval = max(0.5, self.settings.lease_seconds / 3)
        while not stop.wait(interval):
            with self.sessions() as session:
                if not jobs.renew(session, claim, self.settings.lease_seconds):
                    return

    def _hand_back(self, claim: jobs.Claim) -> None:
        from sqlalchemy import update

        with self.sessions() as session, session.begin():
            session.execute(update(Job).where(jobs._held(claim)).values(
                state="pending", lease_until=0.0, attempts=Job.attempts - 1, worker=None))

    def _load(self, claim: jobs.Claim):
        with self.sessions() as session:
            photo = session.get(Photo, claim.photo_id)
            album = session.get(Album, photo.album_id) if photo is not None else None
            return photo, album

    def _do(self, claim: jobs.Claim) -> None:
        from . import render

        photo, album = self._load(claim)
        if photo is None or album is None or (claim.kind != "preview" and claim.look_version < album.look_version) \
                or (claim.kind == "preview" and photo.state != "waiting"):
            # deleted, superseded by a newer look, or already developed: nothing to make
            with self.sessions() as session, session.begin():
                jobs.finish(session, claim)
            return
        look = look_spec(album.look, self.store)
        original = self.store.original(photo.sha256)
        key = {"preview": f"p{claim.look_version}", "develop": f"v{claim.look_version}",
               "video": f"v{claim.look_version}"}[claim.kind]
        tmp = self.store.temp_path("-render")
        tmp.mkdir()
        try:
            if claim.kind == "preview":
                result = render.render_preview(original, photo.kind, look, tmp)
            elif claim.kind == "video":
                result = render.render_video(original, look, tmp)
            else:
                result = render.render_full(original, photo.kind, look, tmp)
                import hashlib

                key += "-" + hashlib.sha256(result.recipe.encode()).hexdigest()[:10]
            self._publish(claim, photo.id, album.id, key, tmp, result)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _publish(self, claim: jobs.Claim, photo_id: int, album_id: int, key: str, tmp, result) -> None:
        import json

        final_dir = self.store.rendition_dir(photo_id, key)
        with self.sessions() as session, session.begin():
            photo = session.get(Photo, photo_id, with_for_update=True)
            if photo is None:
                jobs.finish(session, claim)
                return
            if not jobs.finish(session, claim):
                session.rollback()          # our lease was taken over: the other worker records it
                return
            self.store.publish_dir(tmp, photo_id, key)
            old_key = photo.rendition_key
            photo.width, photo.height, photo.placeholder = result.width, result.height, result.placeholder
            if result.exif:
                photo.exif = json.dumps(result.exif)
            photo.rendition_key = key
            photo.error = None
            if claim.kind == "preview":
                photo.state = "preview"
                add_event(session, album_id, "preview-ready", photo_id)
            else:
                photo.state = "developed"
                photo.developed_version = claim.look_version
                if result.recipe:
                    photo.recipe = result.recipe
                add_event(session, album_id, "developed", photo_id)
        if old_key and old_key != key:
            shutil.rmtree(final_dir.with_name(old_key), ignore_errors=True)

    def _record_failure(self, claim: jobs.Claim, message: str) -> None:
        with self.sessions() as session, session.begin():
            final = jobs.fail(session, claim, message, self.settings.max_attempts)
            if final:
                self._mark_failed(session, claim.photo_id, message)

    def _mark_failed(self, session, photo_id: int, message: str) -> None:
        photo = session.get(Photo, photo_id)
        if photo is not None:
            photo.state = "failed"
            photo.error = message
            add_event(session, photo.album_id, "failed", photo.id, error=message)

    def _sweep(self) -> None:
        """Now and then: jobs whose last try died with its worker become failures."""
        if time.time() - self._last_sweep < 5.0:
            return
        self._last_sweep = time.time()
        with self.sessions() as session, session.begin():
            for photo_id in jobs.expire_abandoned(session, self.settings.max_attempts):
                self._mark_failed(session, photo_id, "the develop stopped with its worker "
                                  f"{self.settings.max_attempts} times")
        if time.time() - self._last_originals_sweep >= ORIGINALS_SWEEP_SECONDS:
            # the originals a delete could not remove at once (used within the grace period,
            # a user's albums deleted with the user, a server stopped between the two)
            self._last_originals_sweep = time.time()
            with self.sessions() as session, session.begin():
                sv.collect_originals(session, self.store)

    # --- the loop ------------------------------------------------------------------------------
    def run(self, parent: int | None = None, until_idle: bool = False) -> None:
        while True:
            if parent is not None and os.getppid() != parent:
                return
            if not self.run_one():
                if until_idle:
                    return
                time.sleep(self.settings.poll_seconds)


def pending_jobs(settings: Settings) -> int:
    engine = make_engine(settings)
    try:
        with session_factory(engine)() as session:
            return len(session.scalars(select(Job.id).where(Job.state.in_(("pending", "running")))).all())
    finally:
        engine.dispose()


def worker_main(settings: Settings, parent: int, index: int, kinds: tuple[str, ...] | None = None) -> None:
    """Entry point of a worker process (``kinds``: only those jobs, e.g. the preview lane)."""
    die_with_parent()
    os.environ.setdefault("NUMBA_NUM_THREADS", str(max(1, (os.cpu_count() or 2))))
    lane = "preview worker" if kinds == ("preview",) else "worker"
    logging.basicConfig(level=logging.INFO, format=f"{lane} {index}: %(message)s")
    from ..kernels.startup import start_numba_target

    start_numba_target()          # after NUMBA_NUM_THREADS is set; no BLAS probe (kernels/startup.py)

    def on_term(_sig, _frame):
        raise Stop()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)      # the server stops us with SIGTERM
    worker = Worker(settings, kinds=kinds)
    try:
        worker.run(parent=parent)
    except Stop:
        pass
    finally:
        worker.engine.dispose()
