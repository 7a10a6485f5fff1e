"""The durable job queue: rows in the jobs table, taken with a lease.

A worker claims the first pending job (or one whose lease expired: its worker died) in one
atomic step: on PostgreSQL ``SELECT ... FOR UPDATE SKIP LOCKED`` then an UPDATE in the same
transaction (two servers never take the same row and never wait on each other); on SQLite a
single conditional ``UPDATE ... WHERE id = (SELECT ...) AND <still claimable> RETURNING``
(SQLite runs one write at a time, so the condition is checked and set atomically).  While it
works the worker renews the lease; finishing is fenced by (worker, attempt), so a worker whose
lease was taken over cannot record a second result.  A job is tried ``max_attempts`` times;
the last error is kept on the job and the photo.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from .models import Job

PRIORITY = {"preview": 0, "video": 1, "develop": 2}


@dataclass(frozen=True, slots=True)
class Claim:
    id: int
    photo_id: int
    kind: str
    look_version: int
    attempts: int
    worker: str


def enqueue(session: Session, photo_id: int, kind: str, look_version: int) -> None:
    session.add(Job(photo_id=photo_id, kind=kind, look_version=look_version, priority=PRIORITY[kind]))


_CLAIMABLE = "(state = 'pending' OR (state = 'running' AND lease_until < :now))"
# a photo's develop waits for its preview: the preview then has every core (it is what the
# viewer waits for), and the two never decode the same raw at the same time
_READY = ("NOT (kind = 'develop' AND EXISTS (SELECT 1 FROM jobs AS p WHERE p.photo_id = jobs.photo_id "
          "AND p.kind = 'preview' AND p.state IN ('pending', 'running')))")


def claim(session: Session, worker: str, lease_seconds: float, max_attempts: int,
          kinds: tuple[str, ...] | None = None) -> Claim | None:
    """Take one job for ``worker`` (commits), or None when there is nothing to do; ``kinds``
    limits it to those kinds of job (a preview lane takes only previews)."""
    now = time.time()
    params = {"now": now, "until": now + lease_seconds, "worker": worker, "max": max_attempts}
    only = ""
    if kinds is not None:
        only = " AND kind IN (" + ", ".join(f":kind{i}" for i in range(len(kinds))) + ")"
        params.update({f"kind{i}": k for i, k in enumerate(kinds)})
    if session.get_bind().dialect.name == "postgresql":
        row = session.execute(text(
            f"SELECT id FROM jobs WHERE {_CLAIMABLE} AND attempts < :max AND {_READY}{only} "
            "ORDER BY priority, id LIMIT 1 FOR UPDATE SKIP LOCKED"), params).first()
        if row is None:
            session.commit()
            return None
        row = session.execute(text(
            "UPDATE jobs SET state = 'running', lease_until = :until, worker = :worker, "
            "attempts = attempts + 1 WHERE id = :id "
            "RETURNING id, photo_id, kind, look_version, attempts"), {**params, "id": row[0]}).first()
    else:
        row = session.execute(text(
            "UPDATE jobs SET state = 'running', lease_until = :until, worker = :worker, "
            "attempts = attempts + 1 "
            f"WHERE id = (SELECT id FROM jobs WHERE {_CLAIMABLE} AND attempts < :max AND {_READY}{only} "
            "ORDER BY priority, id LIMIT 1) "
            f"AND {_CLAIMABLE} AND attempts < :max "
            "RETURNING id, photo_id, kind, look_version, attempts"), params).first()
    session.commit()
    if row is None:
        return None
    return Claim(id=row[0], photo_id=row[1], kind=row[2], look_version=row[3], attempts=row[4], worker=worker)


def _held(claim: Claim):
    return (Job.id == claim.id) & (Job.worker == claim.worker) & (Job.attempts == claim.attempts) & \
        (Job.state == "running")


def renew(session: Session, claim: Claim, lease_seconds: float) -> bool:
    """Extend the lease; False when the job is no longer ours."""
    n = session.execute(update(Job).where(_held(claim)).values(lease_until=time.time() + lease_seconds)).rowcount
    session.commit()
    return n == 1


def finish(session: Session, claim: Claim) -> bool:
    """Mark done in the caller's transaction; False (nothing changed) when the job is no
    longer ours: the caller then rolls back and its result is not recorded."""
    n = session.execute(update(Job).where(_held(claim))
                        .values(state="done", finished_at=time.time(), error=None)).rowcount
    return n == 1


def fail(session: Session, claim: Claim, error: str, max_attempts: int) -> bool:
    """Record an error; the job goes back to the queue until its tries are spent.  Returns
    True when this was the last try (the job is now 'failed')."""
    final = claim.attempts >= max_attempts
    n = session.execute(update(Job).where(_held(claim)).values(
        state="failed" if final else "pending", error=error[:2000], lease_until=0.0,
        finished_at=time.time() if final else None)).rowcount
    return final and n == 1


def expire_abandoned(session: Session, max_attempts: int) -> list[int]:
    """Jobs whose every try died with its worker (lease expired at the last attempt): mark
    them failed and return their photo ids."""
    now = time.time()
    rows = session.execute(select(Job.id, Job.photo_id).where(
        Job.state == "running", Job.lease_until < now, Job.attempts >= max_attempts)).all()
    for job_id, _ in rows:
        session.execute(update(Job).where(Job.id == job_id, Job.state == "running", Job.lease_until < now)
                        .values(state="failed", error="the worker stopped while developing (tried "
                                f"{max_attempts} times)", finished_at=now))
    return [r[1] for r in rows]
