#!/usr/bin/env python3
"""A client for the bitbrain server it was downloaded from: one file, standard library only.

As a module:

    import client
    client.ask("What is the capital of France?")                 # -> str
    client.ask("Be brief.", system="You are terse.", max_tokens=32, temperature=0)
    for piece in client.stream("Tell me a story"):              # text as it is generated
        print(piece, end="", flush=True)
    client.chat([{"role": "user", "content": "Hi"}])              # a whole conversation
    client.classify("I loved it!", ["positive", "negative"])      # -> always one of the labels

As a command line tool:

    python3 client.py "What is the capital of France?"
    python3 client.py --stream --system "You are terse." "Tell me a story"
    python3 client.py --classify positive,negative "I loved it!"

Keyword parameters (max_tokens, temperature, top_p, stop, seed, ...) go to the server as
fields of the OpenAI chat completion request. The API key, when the server asks for one, comes
from the api_key argument, else the BITBRAIN_API_KEY environment variable. BITBRAIN_URL
overrides the server address baked in below.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import urllib.error
import urllib.request
from typing import Any, Iterator, Mapping, Sequence

# The server this file was downloaded from (filled in by the server).
BASE_URL: str = os.environ.get("BITBRAIN_URL", "@BITBRAIN_PUBLIC_URL@").rstrip("/")

# Generation on a CPU can take minutes for long replies.
TIMEOUT_SECONDS: float = 600.0

Message = Mapping[str, Any]


class BitbrainError(Exception):
    """The server refused a request, failed mid-stream, or could not be reached.

    `status` is the HTTP status (None when the server was unreachable or the error came
    inside a stream); `type` and `code` are the fields of the server's error object.
    """

    def __init__(self, message: str, status: int | None = None,
                 type: str | None = None, code: str | None = None) -> None:
        super().__init__(message if status is None else f"HTTP {status}: {message}")
        self.status = status
        self.type = type
        self.code = code


def ask(prompt: str, system: str | None = None, *, api_key: str | None = None,
        **params: Any) -> str:
    """The model's reply to one user message, optionally after a system message."""
    return chat(_messages(prompt, system), api_key=api_key, **params)


def stream(prompt: str, system: str | None = None, *, api_key: str | None = None,
           **params: Any) -> Iterator[str]:
    """Like ask(), but yields the reply's text in pieces as the server generates it."""
    return stream_chat(_messages(prompt, system), api_key=api_key, **params)


def chat(messages: Sequence[Message], *, api_key: str | None = None, **params: Any) -> str:
    """The model's reply to a conversation: a list of {"role", "content"} messages."""
    reply = _request("/v1/chat/completions", _chat_request(messages, params, api_key), api_key)
    return reply["choices"][0]["message"]["content"]


def stream_chat(messages: Sequence[Message], *, api_key: str | None = None,
                **params: Any) -> Iterator[str]:
    """Like chat(), but yields the reply's text in pieces as the server generates it."""
    body = {**_chat_request(messages, params, api_key), "stream": True}
    with _open("/v1/chat/completions", body, api_key) as response:
        for event in _server_sent_events(response):
            if "error" in event:
                raise _error_from(event, status=None)
            for choice in event.get("choices", []):
                piece = choice.get("delta", {}).get("content")
                if piece:
                    yield piece


def classify(text: str, labels: Sequence[str], *, instruction: str | None = None,
             api_key: str | None = None) -> str:
    """The label that fits `text` best. The server scores every label's log-probability, so
    the answer is always one of `labels`, never free text."""
    labels = list(labels)
    if not labels or not all(isinstance(label, str) and label for label in labels):
        raise ValueError("classify() needs a non-empty list of non-empty label strings")
    body: dict[str, Any] = {"text": text, "labels": labels}
    if instruction is not None:
        body["instruction"] = instruction
    label = _request("/v1/classify", body, api_key).get("label")
    if label not in labels:
        raise BitbrainError(f"the server answered {label!r}, which is not one of {labels}")
    return label


def models(*, api_key: str | None = None) -> list[str]:
    """The ids of the models the server serves."""
    return [model["id"] for model in _request("/v1/models", None, api_key)["data"]]


# --- HTTP ---------------------------------------------------------------------------------

def _messages(prompt: str, system: str | None) -> list[Message]:
    messages: list[Message] = [] if system is None else [{"role": "system", "content": system}]
    return messages + [{"role": "user", "content": prompt}]


def _chat_request(messages: Sequence[Message], params: Mapping[str, Any],
                  api_key: str | None) -> dict[str, Any]:
    # The server serves one model; ask it for its id unless the caller names one.
    model = params.get("model")
    if not model:
        served = models(api_key=api_key)
        if not served:
            raise BitbrainError(f"{BASE_URL}/v1/models lists no model")
        model = served[0]
    return {**params, "model": model, "messages": list(messages)}


def _open(path: str, body: Mapping[str, Any] | None, api_key: str | None):
    """Sends the request; returns the open response or raises BitbrainError."""
    headers = {"Accept": "application/json"}
    key = api_key or os.environ.get("BITBRAIN_API_KEY")
    if key:
        headers["Authorization"] = f"Bearer {key}"
    data = None
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(BASE_URL + path, data=data, headers=headers)
    try:
        return urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS)
    except urllib.error.HTTPError as error:
        with error:
            raw = error.read()
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = {"error": {"message": raw.decode("utf-8", "replace").strip() or error.reason}}
        raise _error_from(payload, status=error.code) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise BitbrainError(f"cannot reach {BASE_URL}: {reason}") from None


def _request(path: str, body: Mapping[str, Any] | None, api_key: str | None) -> dict[str, Any]:
    with _open(path, body, api_key) as response:
        return json.load(response)


def _server_sent_events(response) -> Iterator[dict[str, Any]]:
    """The JSON payloads of the `data:` lines of an SSE stream, up to `data: [DONE]`."""
    try:
        for raw_line in response:
            line = raw_line.decode("utf-8").rstrip("\r\n")
            if not line.startswith("data:"):
                continue  # blank separators and ':' comments (heartbeats)
            data = line[len("data:"):].strip()
            if data == "[DONE]":
                return
            yield json.loads(data)
    except (OSError, http.client.HTTPException) as error:
        raise BitbrainError(f"the connection broke mid-reply: {error!r}") from None
    raise BitbrainError("the stream ended before the reply was finished")


def _error_from(payload: Mapping[str, Any], status: int | None) -> BitbrainError:
    error = payload.get("error")
    if not isinstance(error, Mapping):
        error = {"message": str(payload)}
    return BitbrainError(str(error.get("message")), status=status,
                         type=error.get("type"), code=error.get("code"))


# --- Command line -------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=f"Ask the bitbrain server at {BASE_URL} a question.")
    parser.add_argument("prompt", help="the question (or, with --classify, the text to classify)")
    parser.add_argument("--system", help="a system message before the question")
    parser.add_argument("--stream", action="store_true", help="print the reply as it is generated")
    parser.add_argument("--classify", metavar="LABEL,LABEL,...",
                        help="print the label that fits the text best instead of a reply")
    parser.add_argument("--max-tokens", type=int, help="the reply's length limit in tokens")
    parser.add_argument("--temperature", type=float, help="0 = always the likeliest token")
    parser.add_argument("--seed", type=int, help="makes sampling repeatable")
    parser.add_argument("--api-key", help="default: $BITBRAIN_API_KEY")
    args = parser.parse_args(argv)

    params = {name: value for name, value in (("max_tokens", args.max_tokens),
                                              ("temperature", args.temperature),
                                              ("seed", args.seed)) if value is not None}
    try:
        if args.classify is not None:
            print(classify(args.prompt, args.classify.split(","), api_key=args.api_key))
        elif args.stream:
            for piece in stream(args.prompt, args.system, api_key=args.api_key, **params):
                print(piece, end="", flush=True)
            print()
        else:
            print(ask(args.prompt, args.system, api_key=args.api_key, **params))
    except (BitbrainError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130  # Ctrl-C: stop quietly, as shells expect
    return 0


if __name__ == "__main__":
    sys.exit(main())
