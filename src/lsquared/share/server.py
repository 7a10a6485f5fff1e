"""``lsquared serve``: migrate, start the develop workers, run the web app under uvicorn."""

from __future__ import annotations

import multiprocessing
import os
import signal

from .settings import Settings


def start_workers(settings: Settings) -> list[multiprocessing.Process]:
    from .worker import worker_main

    ctx = multiprocessing.get_context("spawn")     # LibRaw's OpenMP does not survive fork
    procs = []
    lanes = [(f"lsquared-worker-{i}", None) for i in range(settings.workers)]
    # the preview lane only beside develop workers: --workers 0 is a server that only serves
    lanes += [(f"lsquared-preview-worker-{i}", ("preview",))
              for i in range(settings.preview_workers if settings.workers else 0)]
    for i, (name, kinds) in enumerate(lanes):
        p = ctx.Process(target=worker_main, args=(settings, os.getpid(), i, kinds), name=name, daemon=True)
        p.start()
        procs.append(p)
    return procs


def stop_workers(procs: list[multiprocessing.Process], timeout: float = 10.0) -> None:
    for p in procs:
        if p.is_alive():
            os.kill(p.pid, signal.SIGTERM)
    for p in procs:
        p.join(timeout)
        if p.is_alive():
            p.kill()
            p.join()


def check_address(host: str, port: int) -> None:
    """Refuse at once, in one line, an address that cannot be bound (in use, not ours)."""
    import socket

    from ..errors import ParameterError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise ParameterError(f"cannot listen on {host}:{port} ({exc.strerror or exc})",
                                 hint="choose another --port or --host") from None


def serve(settings: Settings) -> None:
    import uvicorn

    from .app import create_app

    check_address(settings.host, settings.port)
    app = create_app(settings)           # migrates the database before any worker starts
    procs = start_workers(settings)
    where = "PostgreSQL" if settings.is_postgres else f"SQLite in {settings.data_dir}"
    print(f"lsquared share: http://{settings.host}:{settings.port}/  ({where}, {settings.workers} develop workers"
          f"{f' + {settings.preview_workers} preview' if settings.workers and settings.preview_workers else ''})",
          flush=True)
    try:
        uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning",
                    proxy_headers=False, timeout_graceful_shutdown=3)
    finally:
        stop_workers(procs)
