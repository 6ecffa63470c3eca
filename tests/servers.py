"""Starting and stopping the servers the black-box suites talk to (the contract's three
examples, the notes services): one process group per server, its output in a log file,
ready once a probe request answers, stopped with SIGTERM (SIGKILL after 10 s)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest


def mongo_uri() -> str:
    """The MongoDB-wire server of the run (required: the suites fail without one)."""
    uri = os.environ.get("MONGODB_URI") or os.environ.get("MONGO_URI")
    if not uri:
        pytest.fail("MONGODB_URI must point at a MongoDB-wire server (`make test` starts one)")
    return uri


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Process:
    """A server started by a shell command, listening on 127.0.0.1:`port`."""

    def __init__(self, cmd: str, log: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        full = dict(os.environ, HOST="127.0.0.1", PORT=str(self.port), **env)
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                cmd, shell=True, env=full, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def assert_alive(self) -> None:
        assert self.process.poll() is None, f"server died; log:\n{self.log.read_text()[-4000:]}"

    def wait_ready(self, ready: Callable[[httpx.Response], bool], path: str = "/health", seconds: float = 60) -> None:
        """Until a GET of `path` gives a response `ready` accepts (fails after `seconds`)."""
        deadline = time.monotonic() + seconds
        while True:
            self.assert_alive()
            try:
                if ready(httpx.get(self.url + path, timeout=1)):
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server not ready in {seconds} s; log:\n{self.log.read_text()[-4000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def healthy(response: httpx.Response) -> bool:
    return response.status_code == 200


def answers(_response: httpx.Response) -> bool:
    return True
