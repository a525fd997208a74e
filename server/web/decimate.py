"""Thinning a loss series for drawing: per bucket keep its min and max, and both ends."""

from __future__ import annotations

import numpy as np

MIN_POINTS = 4  # both ends, and the global min and max


def decimate(loss: np.ndarray, max_points: int) -> np.ndarray | None:
    """Indices of at most max_points points that keep the shape, or None when all fit."""
    if max_points < MIN_POINTS:
        raise ValueError(f"max_points must be at least {MIN_POINTS}")
    n = len(loss)
    if n <= max_points:
        return None
    buckets = (max_points - 2) // 2
    size = -(-n // buckets)  # ceil
    # pad with the last value: a pick inside the padding means the last point itself
    padded = np.pad(loss, (0, buckets * size - n), mode="edge").reshape(buckets, size)
    offsets = np.arange(buckets) * size
    lows = np.minimum(offsets + padded.argmin(axis=1), n - 1)
    highs = np.minimum(offsets + padded.argmax(axis=1), n - 1)
    return np.unique(np.concatenate(([0, n - 1], lows, highs)))
