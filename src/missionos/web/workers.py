"""Several web worker processes on one port, with the kernel spreading connections evenly among them.

uvicorn's own `--workers` shares one listening socket: whichever worker wakes first accepts every connection
waiting, so a handful of keep-alive clients (a proxy's upstream pool, a CI system sending webhooks) often all
land on one worker while the others idle. Here each worker listens on its own socket with SO_REUSEPORT, and
Linux hashes each new connection to one of them. A worker that dies is started again.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import time
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from typing import Any

from missionos.errors import InputError

APP = "missionos.web.app:create_server_app"
BACKLOG = 2048


def supported() -> bool:
    """Whether this platform balances connections across sockets sharing a port."""
    return hasattr(socket, "SO_REUSEPORT") and os.uname().sysname == "Linux"


def _socket(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    return sock


def _worker(host: str, port: int, options: dict[str, Any]) -> None:
    import uvicorn

    sock = _socket(host, port)
    sock.listen(BACKLOG)
    config = uvicorn.Config(APP, factory=True, host=host, port=port, **options)
    uvicorn.Server(config).run(sockets=[sock])


def check_port(host: str, port: int) -> None:
    """Refuse at once, naming the address, when the port cannot be listened on (another program has it),
    or when something already listens there: SO_REUSEPORT would let a second server by the same user join
    the port and quietly take half of its connections."""
    target = "127.0.0.1" if host in ("0.0.0.0", "") else "::1" if host == "::" else host
    try:
        with socket.create_connection((target, port), timeout=0.5):
            raise InputError(f"cannot listen on {host}:{port} (another server is already listening there)")
    except OSError:
        pass  # nothing answers: the port is free to take
    try:
        probe = _socket(host, port) if supported() else socket.create_server((host, port))
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port} ({exc.strerror})") from None
    probe.close()


def run(host: str, port: int, workers: int, **options: Any) -> None:
    """Serve the app from `workers` processes until SIGINT or SIGTERM; `options` go to uvicorn.Config."""
    check_port(host, port)
    context = multiprocessing.get_context("spawn")
    stopping = False

    def start() -> tuple[BaseProcess, float]:
        process = context.Process(target=_worker, args=(host, port, options), name="missionos-web")
        process.start()
        return process, time.monotonic()

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    processes = [start() for _ in range(workers)]
    try:
        while not stopping:
            wait([p.sentinel for p, _ in processes], timeout=0.5)
            for i, (process, started) in enumerate(processes):
                if process.is_alive() or stopping:
                    continue
                if process.exitcode != 0 and time.monotonic() - started < 5:
                    raise InputError(f"a web worker stopped as it started (exit status {process.exitcode})")
                processes[i] = start()  # a worker that died after serving is replaced
    finally:
        for process, _ in processes:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)  # uvicorn finishes the requests in hand
        deadline = time.monotonic() + 30
        for process, _ in processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
