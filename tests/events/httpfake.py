"""A tiny scriptable HTTP server on 127.0.0.1 for source tests (real httpx over real sockets)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Reply = tuple[int, Any]  # (status, dict/list → JSON | str/bytes → sent as is)
Handler = Callable[[str, dict[str, str]], Reply]


@dataclass
class FakeHttp:
    """Calls `handler(path, query)` for every GET; records (path, query) in `requests`."""

    handler: Handler
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    def __enter__(self) -> FakeHttp:
        fake = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                fake.requests.append((parts.path, query))
                status, body = fake.handler(parts.path, query)
                if isinstance(body, dict | list):
                    payload = json.dumps(body, ensure_ascii=False).encode()
                else:
                    payload = body if isinstance(body, bytes) else str(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def count(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)
