"""Shared timing helpers: best-of-N timings, interleaved so both sides see the same machine."""

from __future__ import annotations

import gc
import timeit
from collections.abc import Callable


def compare_us(
    ours: Callable[[], object], raw: Callable[[], object], number: int = 20_000, repeat: int = 9
) -> tuple[float, float]:
    """Microseconds per call of ``ours`` and ``raw``, best of ``repeat`` interleaved runs.

    Interleaving makes a noisy neighbour slow both sides alike; the minimum is the run least
    disturbed. The garbage collector is paused during each run, as :mod:`timeit` does.
    """
    gc.collect()
    best_ours = best_raw = float("inf")
    for _ in range(repeat):
        best_raw = min(best_raw, timeit.timeit(raw, number=number))
        best_ours = min(best_ours, timeit.timeit(ours, number=number))
    return best_ours / number * 1e6, best_raw / number * 1e6


def report(name: str, ours: float, raw: float, goal: float) -> None:
    """Print one ratio line against its goal."""
    ratio = ours / raw
    verdict = "ok" if ratio <= goal else "OVER GOAL"
    print(
        f"{name:<46} ours {ours:7.2f} us  baseline {raw:7.2f} us  "
        f"ratio {ratio:5.2f}x  goal <= {goal}x  {verdict}",
        flush=True,
    )
