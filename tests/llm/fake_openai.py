"""A local OpenAI-compatible chat-completions server on 127.0.0.1 for the tests (http.server in a thread).

Each request takes the next behaviour from `script` (then `default`): ok, 429, 500, 400, slow, malformed,
no_usage, truncated. An ok answer's content is `responder(messages)`."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeOpenAI:
    def __init__(self, responder: Callable[[list[dict]], str] | None = None, default: str = "ok", slow_seconds: float = 2.0):
        self.responder = responder or (lambda messages: "echo: " + messages[-1]["content"])
        self.default = default
        self.slow_seconds = slow_seconds
        self.script: deque[str] = deque()
        self.requests: list[dict] = []  # bodies received, in order
        self.headers: list[dict] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with fake._lock:
                    fake.requests.append(body)
                    fake.headers.append(dict(self.headers))
                    behaviour = fake.script.popleft() if fake.script else fake.default
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                try:
                    fake._answer(self, body, behaviour)
                finally:
                    with fake._lock:
                        fake.in_flight -= 1

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _answer(self, handler: BaseHTTPRequestHandler, body: dict, behaviour: str) -> None:
        if handler.path != "/v1/chat/completions":
            return self._send(handler, 404, b'{"error": "not found"}')
        if behaviour == "429":
            return self._send(handler, 429, b'{"error": {"message": "rate limited"}}', {"Retry-After": "0"})
        if behaviour in ("500", "503", "400", "401"):
            return self._send(handler, int(behaviour), json.dumps({"error": {"message": f"status {behaviour}"}}).encode())
        if behaviour == "slow":
            time.sleep(self.slow_seconds)
        if behaviour == "malformed":
            return self._send(handler, 200, b'{"choices": [{"message": ')
        if behaviour == "truncated":
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", "500")
            handler.end_headers()
            handler.wfile.write(b'{"choices": []')
            handler.close_connection = True
            return None
        text = self.responder(body["messages"])
        answer = {
            "id": "cmpl-test", "object": "chat.completion", "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        }
        if behaviour != "no_usage":
            prompt = sum(len(m["content"].split()) for m in body["messages"])
            answer["usage"] = {"prompt_tokens": prompt, "completion_tokens": len(text.split()), "total_tokens": prompt + len(text.split())}
        return self._send(handler, 200, json.dumps(answer).encode())

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, payload: bytes, headers: dict | None = None) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(payload)
