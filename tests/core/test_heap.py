"""The start-up heap is frozen: a full collection no longer walks it."""

from __future__ import annotations

import gc

from tgassist.core.heap import freeze_startup_heap


def test_frozen_objects_are_left_out_of_collections() -> None:
    kept = [object() for _ in range(1000)]
    try:
        frozen = freeze_startup_heap()
        assert frozen >= len(kept) and gc.get_freeze_count() == frozen
        # what was alive at the freeze is no longer tracked by any generation
        later: list[object] = []
        tracked = {id(o) for generation in range(3) for o in gc.get_objects(generation)}
        assert id(kept) not in tracked
        assert id(later) in tracked  # what comes after is collected as before
    finally:
        gc.unfreeze()
