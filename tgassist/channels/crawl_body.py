"""Reading a response body under a byte cap that counts decoded bytes, piece by piece.

httpx inflates a whole network chunk at once, so a 64 KiB gzip chunk can become 64 MiB before any
cap sees it. Here the raw (still compressed) stream is inflated in pieces of at most 64 KiB and
the cap is checked after each piece: a compression bomb stops right after the cap.
"""

from __future__ import annotations

import zlib

from tgassist.channels.crawl_errors import CrawlError, TooLarge

PIECE = 65_536
ACCEPT_ENCODING = "gzip, deflate"  # what we can inflate piece by piece


class CappedDecoder:
    """Decodes `Content-Encoding` (identity, gzip, deflate) and raises TooLarge past `max_bytes`."""

    def __init__(self, content_encoding: str, max_bytes: int) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise CrawlError(f"unsupported content encoding {content_encoding[:50]!r}")
        self.coding = codings[0] if codings else None
        self.max_bytes = max_bytes
        self.size = 0  # decoded bytes so far
        self._raw_deflate = False
        self._inflater = self._new_inflater()

    def _new_inflater(self) -> zlib._Decompress | None:
        if self.coding is None:
            return None
        if self.coding == "deflate":
            return zlib.decompressobj(-zlib.MAX_WBITS if self._raw_deflate else zlib.MAX_WBITS)
        return zlib.decompressobj(16 + zlib.MAX_WBITS)

    def _count(self, piece: bytes) -> bytes:
        self.size += len(piece)
        if self.size > self.max_bytes:
            raise TooLarge(f"body over the {self.max_bytes}-byte cap (decoded)")
        return piece

    def feed(self, raw: bytes) -> bytes:
        """The decoded bytes of the next raw chunk; TooLarge as soon as the cap is passed."""
        if self._inflater is None:
            return self._count(raw)
        out: list[bytes] = []
        data = raw
        while data:
            inflater = self._inflater
            assert inflater is not None
            try:
                piece = inflater.decompress(data, PIECE)
            except zlib.error as err:
                if self.coding == "deflate" and not self._raw_deflate and self.size == 0:
                    self._raw_deflate = True  # servers often send raw deflate without the header
                    self._inflater = self._new_inflater()
                    continue
                raise CrawlError(f"corrupt {self.coding} body: {err}") from err
            out.append(self._count(piece))
            if inflater.eof and inflater.unused_data:  # gzip: another member follows
                data = inflater.unused_data
                self._inflater = self._new_inflater()
            elif not piece and inflater.unconsumed_tail == data:
                break  # no progress possible (cannot happen with zlib; never loop forever)
            else:
                data = inflater.unconsumed_tail
        return b"".join(out)

    def flush(self) -> bytes:
        if self._inflater is None:
            return b""
        return self._count(self._inflater.flush(PIECE))


__all__ = ["ACCEPT_ENCODING", "CappedDecoder"]
