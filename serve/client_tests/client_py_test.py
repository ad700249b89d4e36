#!/usr/bin/env python3
"""The served /client.py, downloaded and used as a module and as a command line tool.

Run by run_with_server.py against a server started with --api-key test-key; BITBRAIN_URL is
the server's address.
"""

from __future__ import annotations

import http.server
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.request
from typing import Any

SERVER_URL = os.environ["BITBRAIN_URL"]
API_KEY = "test-key"
# Short, greedy replies: repeatable, and quick on the tiny model.
GREEDY = {"max_tokens": 12, "temperature": 0}


def fetch_client(headers: dict[str, str] | None = None) -> bytes:
    """The server's /client.py (public: no key needed), asked for with `headers`."""
    request = urllib.request.Request(SERVER_URL + "/client.py", headers=headers or {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


def download_client() -> str:
    """Saves the server's /client.py and returns its path."""
    source = fetch_client()
    path = os.path.join(os.environ.get("TEST_TMPDIR") or tempfile.mkdtemp(), "client.py")
    with open(path, "wb") as file:
        file.write(source)
    return path


# The client must reach the server through the URL baked into it, not BITBRAIN_URL.
os.environ.pop("BITBRAIN_URL")
os.environ["BITBRAIN_API_KEY"] = API_KEY
CLIENT_PATH = download_client()
spec = importlib.util.spec_from_file_location("client", CLIENT_PATH)
client = importlib.util.module_from_spec(spec)
spec.loader.exec_module(client)


class ModuleTest(unittest.TestCase):
    def test_the_server_address_is_baked_in(self) -> None:
        self.assertEqual(client.BASE_URL, SERVER_URL)

    def test_behind_a_proxy_the_address_comes_from_its_headers(self) -> None:
        for headers, url in [
            ({"X-Forwarded-Host": "bb-x1.sprites.app", "X-Forwarded-Proto": "https"},
             "https://bb-x1.sprites.app"),
            ({"Host": "bb-x1.sprites.app"}, "https://bb-x1.sprites.app"),  # https: a Sprite
            ({"Host": "example.org:8080"}, "http://example.org:8080"),
        ]:
            module: dict[str, Any] = {"__name__": "client_behind_a_proxy"}
            exec(compile(fetch_client(headers), "client.py", "exec"), module)
            self.assertEqual(module["BASE_URL"], url, headers)

    def test_ask_answers_text(self) -> None:
        reply = client.ask("What is the capital of France?", **GREEDY)
        self.assertIsInstance(reply, str)
        # Greedy decoding is deterministic: the same question gets the same reply.
        self.assertEqual(client.ask("What is the capital of France?", **GREEDY), reply)

    def test_stream_yields_the_reply_in_pieces(self) -> None:
        pieces = list(client.stream("Tell me a story.", system="Be brief.", **GREEDY))
        self.assertTrue(all(isinstance(piece, str) and piece for piece in pieces))
        self.assertEqual("".join(pieces), client.ask("Tell me a story.", system="Be brief.", **GREEDY))

    def test_chat_takes_a_conversation(self) -> None:
        messages = [{"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Tell me a story."}]
        self.assertEqual(client.chat(messages, **GREEDY),
                         client.ask("Tell me a story.", system="Be brief.", **GREEDY))

    def test_classify_returns_one_of_the_labels(self) -> None:
        for labels in (["positive", "negative"], ["cat", "dog", "bird", "a long label with spaces"]):
            self.assertIn(client.classify("I loved every minute of it!", labels), labels)

    def test_classify_rejects_an_empty_label_list(self) -> None:
        with self.assertRaises(ValueError):
            client.classify("text", [])

    def test_a_bad_request_raises_a_clear_error(self) -> None:
        with self.assertRaises(client.BitbrainError) as caught:
            client.ask("hi", temperature=5)
        self.assertEqual(caught.exception.status, 400)
        self.assertIn("temperature", str(caught.exception))

    def test_a_wrong_api_key_raises_an_authentication_error(self) -> None:
        with self.assertRaises(client.BitbrainError) as caught:
            client.ask("hi", api_key="wrong-key", **GREEDY)
        self.assertEqual(caught.exception.status, 401)


class StagedStreamServer(http.server.ThreadingHTTPServer):
    """A loopback server answering every POST with `body` as an SSE stream: failures the real
    server cannot be made to produce on demand."""

    def __init__(self, body: bytes) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def pieces(self) -> list[str]:
        """What client.stream_chat() yields from this server."""
        saved = client.BASE_URL
        client.BASE_URL = f"http://127.0.0.1:{self.server_address[1]}"
        try:
            return list(client.stream_chat([{"role": "user", "content": "hi"}], model="m"))
        finally:
            client.BASE_URL = saved
            self.shutdown()
            self.server_close()


def sse(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


class BrokenStreamTest(unittest.TestCase):
    PIECE = sse({"choices": [{"index": 0, "delta": {"content": "Hal"}}]})

    def test_an_error_inside_the_stream_is_raised(self) -> None:
        error = sse({"error": {"message": "the engine fell over", "type": "server_error",
                               "param": None, "code": None}})
        with self.assertRaisesRegex(client.BitbrainError, "the engine fell over"):
            StagedStreamServer(self.PIECE + error).pieces()

    def test_a_stream_without_its_end_is_an_error(self) -> None:
        with self.assertRaisesRegex(client.BitbrainError, "ended before the reply was finished"):
            StagedStreamServer(self.PIECE).pieces()

    def test_comments_are_skipped(self) -> None:
        body = b": heartbeat\n\n" + self.PIECE + b"data: [DONE]\n\n"
        self.assertEqual(StagedStreamServer(body).pieces(), ["Hal"])


class CommandLineTest(unittest.TestCase):
    def run_client(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, CLIENT_PATH, *args], capture_output=True,
                              text=True, timeout=120)

    def test_a_question_prints_the_reply(self) -> None:
        result = self.run_client("--max-tokens", "12", "--temperature", "0", "Hello")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, client.ask("Hello", **GREEDY) + "\n")

    def test_stream_prints_the_same_reply(self) -> None:
        result = self.run_client("--stream", "--system", "Be brief.", "--max-tokens", "12",
                                 "--temperature", "0", "Hello")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, client.ask("Hello", system="Be brief.", **GREEDY) + "\n")

    def test_classify_prints_one_of_the_labels(self) -> None:
        result = self.run_client("--classify", "yes,no", "Is the sky blue?")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(result.stdout.strip(), ["yes", "no"])

    def test_an_error_is_one_line_and_a_failure_status(self) -> None:
        result = self.run_client("--temperature", "5", "Hello")
        self.assertEqual(result.returncode, 1)
        self.assertRegex(result.stderr, r"^error: HTTP 400: .*temperature")


if __name__ == "__main__":
    unittest.main(verbosity=2)
