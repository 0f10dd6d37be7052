"""A local web server for crawler tests: real fixture pages, redirects, endless and huge bodies."""

from __future__ import annotations

import functools
import gzip
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit


@dataclass
class WebServer:
    base: str
    hits: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path


def _handler(pages: Path, hits: list[str]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _send(
            self, code: int, body: bytes, ctype: str = "text/html; charset=utf-8", **headers: str
        ) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in headers.items():
                self.send_header(k.replace("_", "-"), v)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            hits.append(parts.path)
            q = parse_qs(parts.query)
            try:
                if parts.path.startswith("/page/"):
                    self._send(200, (pages / parts.path[len("/page/") :]).read_bytes())
                elif parts.path == "/redirect":
                    self._send(302, b"", Location=q["to"][0])
                elif parts.path == "/loop":
                    self._send(302, b"", Location="/loop")
                elif parts.path == "/never-ends":  # a slow page that never finishes
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    while True:
                        chunk = b"<p>still loading</p>"
                        self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                        self.wfile.flush()
                        time.sleep(0.05)
                elif parts.path == "/huge":  # 50 MB, no Content-Length: must be cut while streaming
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    chunk = b"<p>" + b"x" * 65536 + b"</p>"
                    for _ in range(50 * 1024 * 1024 // len(chunk)):
                        self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                elif parts.path == "/huge-declared":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(50 * 1024 * 1024))
                    self.end_headers()
                elif parts.path == "/gzip-bomb":  # ~65 KB on the wire, 64 MiB inflated
                    self._send(200, _gzip_bomb(), Content_Encoding="gzip")
                elif parts.path.startswith("/gzip/"):  # a real page, gzip-encoded
                    body = gzip.compress((pages / parts.path[len("/gzip/") :]).read_bytes())
                    self._send(200, body, Content_Encoding="gzip")
                elif parts.path.startswith("/deflate-raw/"):  # raw deflate, no zlib header
                    data = (pages / parts.path[len("/deflate-raw/") :]).read_bytes()
                    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
                    body = packer.compress(data) + packer.flush()
                    self._send(200, body, Content_Encoding="deflate")
                elif parts.path == "/brotli":
                    self._send(200, b"\x0b\x02\x80hello\x03", Content_Encoding="br")
                elif parts.path == "/image.png":
                    self._send(200, b"\x89PNG\r\n\x1a\n" + b"\0" * 100, ctype="image/png")
                else:
                    self._send(404, b"not found")
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


@functools.lru_cache(maxsize=1)
def _gzip_bomb() -> bytes:
    return gzip.compress(b"<html><body><p>" + b"\0" * (64 * 1024 * 1024) + b"</p></body></html>", 9)


@contextmanager
def serve(pages: Path) -> Iterator[WebServer]:
    """Serve `pages` under /page/<file> on 127.0.0.1 (a free port) while the block runs."""
    hits: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(pages, hits))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield WebServer(f"http://127.0.0.1:{server.server_address[1]}", hits)
    finally:
        server.shutdown()
        server.server_close()
