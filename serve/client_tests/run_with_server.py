#!/usr/bin/env python3
"""Runs a test command against a real bitbrain server, then stops the server.

Usage: run_with_server.py SERVER_BINARY [SERVER_FLAG ...] -- TEST_COMMAND [ARG ...]

Starts SERVER_BINARY on a free loopback port (--host 127.0.0.1 --port 0; the port is read
from the server's "listening on http://HOST:PORT" line), waits until GET /health answers 200,
runs TEST_COMMAND with BITBRAIN_URL set to the server's address, and stops the server with
SIGTERM (SIGKILL if it lingers). The exit status is the test's, or 1 if the server died
meanwhile; the server's log is printed when the test fails or the server does not come up.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

STARTUP_SECONDS = 120.0  # generous: the machine may be busy compiling
LISTENING = re.compile(r"listening on http://[^\s]*:(\d+)")


class Server:
    """The server process, its log, and the port it listens on."""

    def __init__(self, command: list[str]) -> None:
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, errors="replace")
        self.log: list[str] = []
        self.port: int | None = None
        self._port_known = threading.Event()
        threading.Thread(target=self._read_log, daemon=True).start()

    def _read_log(self) -> None:
        for line in self.process.stdout:
            self.log.append(line)
            match = LISTENING.search(line)
            if match and self.port is None:
                self.port = int(match.group(1))
                self._port_known.set()
        self._port_known.set()  # the server exited: stop waiting

    def wait_until_healthy(self) -> str:
        """The server's base URL once /health answers 200; raises RuntimeError otherwise."""
        deadline = time.monotonic() + STARTUP_SECONDS
        self._port_known.wait(STARTUP_SECONDS)
        if self.port is None:
            raise RuntimeError("the server did not say which port it listens on")
        url = f"http://127.0.0.1:{self.port}"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with status {self.process.returncode}")
            try:
                with urllib.request.urlopen(url + "/health", timeout=5) as response:
                    if response.status == 200:
                        return url
            except (urllib.error.URLError, OSError):
                pass  # 503 while loading, or not accepting yet
            time.sleep(0.1)
        raise RuntimeError(f"/health did not answer 200 within {STARTUP_SECONDS:.0f} s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def print_log(self) -> None:
        sys.stderr.write("---- server log ----\n" + "".join(self.log) + "---- end of server log ----\n")


def main(argv: list[str]) -> int:
    if "--" not in argv or argv.index("--") == 0 or argv.index("--") == len(argv) - 1:
        sys.stderr.write(__doc__)
        return 2
    split = argv.index("--")
    server_command = argv[:split] + ["--host", "127.0.0.1", "--port", "0"]
    test_command = argv[split + 1:]

    server = Server(server_command)
    try:
        try:
            url = server.wait_until_healthy()
        except RuntimeError as error:
            sys.stderr.write(f"run_with_server: {error}\n")
            server.print_log()
            return 1
        status = subprocess.call(test_command, env={**os.environ, "BITBRAIN_URL": url})
        if server.process.poll() is not None:
            sys.stderr.write(f"run_with_server: the server died during the test "
                             f"(status {server.process.returncode})\n")
            status = status or 1
        if status != 0:
            server.print_log()
        return status
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
