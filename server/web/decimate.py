"""Thinning a loss series for drawing: per bucket keep its min and max, and both ends; a
non-finite value (a gap) is kept too, so the thinned line breaks where the series does."""

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
    gaps = np.isnan(loss)
    per_bucket = 3 if gaps.any() else 2  # a bucket's min, max and first gap
    buckets = max((max_points - 2) // per_bucket, 1)
    size = -(-n // buckets)  # ceil
    # pad with the last value: a pick inside the padding means the last point itself
    padded = np.pad(loss, (0, buckets * size - n), mode="edge").reshape(buckets, size)
    offsets = np.arange(buckets) * size
    if per_bucket == 2:  # the common case, at no extra cost
        picks = [offsets + padded.argmin(axis=1), offsets + padded.argmax(axis=1)]
    else:  # a gap is neither a bucket's min nor its max
        holes = np.isnan(padded)
        picks = [offsets + np.where(holes, np.inf, padded).argmin(axis=1),
                 offsets + np.where(holes, -np.inf, padded).argmax(axis=1),
                 (offsets + holes.argmax(axis=1))[holes.any(axis=1)]]  # fmt: skip
    kept = np.minimum(np.concatenate(picks), n - 1)
    return np.unique(np.concatenate(([0, n - 1], kept)))
