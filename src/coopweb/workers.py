"""Several worker processes on one port, each listening on a socket of its own.

uvicorn's ``--workers N`` gives every worker the **same** listening socket. When several
connections arrive at once (a browser opening six, a busy office, a load test), the first
worker to wake up accepts all of them in one go (asyncio accepts up to the backlog per
wake-up), and a connection stays with the worker that accepted it: one worker serves them
all while the other idles. Measured with ``bench/bench_web.py`` (wrk, keep-alive
connections), two workers then served no more than one, at random, in one cell in four.

Where the system has ``SO_REUSEPORT`` (Linux), this supervisor binds **one socket per
worker** to the same address, and the kernel spreads new connections over them (by a hash
of the client's address and port), as nginx's ``reuseport`` does. Each worker runs
uvicorn's own server and health check (:class:`uvicorn.supervisors.multiprocess.Process`);
this module only gives each its socket, restarts a worker that dies (on its socket, so
connections that arrive meanwhile wait in its queue instead of being refused), and stops
them all on ``SIGINT``, ``SIGTERM`` or ``SIGQUIT``; ``SIGHUP`` (a service manager's reload)
replaces each worker in turn. Elsewhere (or with one worker) ``uvicorn.run`` is
used as before.

Before binding, the port is checked with a plain socket: ``SO_REUSEPORT`` would otherwise
let a second ``coopledger serve`` started by mistake on the same port share its
connections (with another ledger, perhaps) instead of failing.
"""

from __future__ import annotations

import logging
import signal
import socket
import sys
import threading
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Process

log = logging.getLogger("uvicorn.error")

#: The listening queue of each worker's socket (uvicorn's default).
BACKLOG = 2048


def reuse_port_supported() -> bool:
    """Whether this system spreads connections over sockets bound to one port."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def check_port_free(host: str, port: int) -> None:
    """Raise ``OSError`` (address in use) when anything listens on ``host:port`` already."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket of its own for one worker, in the port's ``SO_REUSEPORT`` group."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
        sock.set_inheritable(True)
    except OSError:
        sock.close()
        raise
    return sock


class Workers:
    """``count`` uvicorn workers, worker ``i`` serving socket ``i`` for as long as this runs."""

    def __init__(self, config: uvicorn.Config, count: int) -> None:
        self.config = config
        self.count = count
        self.sockets: list[socket.socket] = []
        self.processes: list[Process] = []
        self.stopping = threading.Event()
        self.reloading = threading.Event()
        self.failed = False

    def run(self) -> int:
        """Serve until told to stop; the exit status (non-zero when a worker cannot start)."""
        host, port = self.config.host, self.config.port
        check_port_free(host, port)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT):
            signal.signal(sig, lambda *_: self.stopping.set())
        # SIGHUP (systemd's reload): every worker replaced in turn, on its socket
        signal.signal(signal.SIGHUP, lambda *_: self.reloading.set())
        try:
            for i in range(self.count):  # kept as made, so that a failure stops those made
                self.sockets.append(listening_socket(host, port))
                self.processes.append(self._start(i))
            while not self.stopping.wait(0.5):
                if self.reloading.is_set():
                    self.reloading.clear()
                    self._reload()
                self._keep_alive()
        finally:
            for process in self.processes:
                process.terminate()
            for process in self.processes:
                process.join()
            for sock in self.sockets:
                sock.close()
        return STARTUP_FAILURE if self.failed else 0

    def _reload(self) -> None:
        for i, process in enumerate(self.processes):
            if self.stopping.is_set():
                return
            process.terminate()
            process.join()
            self.processes[i] = self._start(i)

    def _start(self, i: int) -> Process:
        process = Process(self.config, [self.sockets[i]])
        process.start()
        return process

    def _keep_alive(self) -> None:
        for i, process in enumerate(self.processes):
            if self.stopping.is_set():
                return
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()  # dead or hung
            process.join()
            if process.exitcode == STARTUP_FAILURE:
                log.error("worker %s could not start: stopping", process.pid)
                self.failed = True
                self.stopping.set()
                return
            if self.stopping.is_set():
                return  # it ended because everything is stopping (Ctrl+C reaches every worker)
            log.warning("worker %s died (exit %s): starting another", process.pid, process.exitcode)
            self.processes[i] = self._start(i)


def serve(workers: int, **settings: Any) -> int:
    """Run the application ``settings`` describe (uvicorn's ``Config`` arguments) on
    ``workers`` processes; the exit status."""
    if workers == 1 or not reuse_port_supported():
        uvicorn.run(workers=workers, **settings)
        return 0
    return Workers(uvicorn.Config(**settings), workers).run()


__all__ = ["Workers", "check_port_free", "listening_socket", "reuse_port_supported", "serve"]
