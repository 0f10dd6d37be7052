"""`python -m benchmarks [name …]`: run the benchmarks (all by default); each prints its figures."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = (
    "bus",
    "channels_import",
    "pipeline",
    "ocr",
    "events",
    "campaigns",
    "campaigns_quality",
    "bot",
)


def main(argv: list[str]) -> None:
    names = argv or list(BENCHMARKS)
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        print(f"\n=== {name} ===", flush=True)
        module.main()


if __name__ == "__main__":
    main(sys.argv[1:])
