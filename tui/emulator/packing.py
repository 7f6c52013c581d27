"""Weight files sized to what was trained: only the rows that differ from a known starting point.

Training touches few rows of the big tables (the hashed n-gram embedding has 16,384 rows;
a small dataset reaches a few thousand), and Adam's moments stay zero in untouched rows.
So an array is stored as `NAME@rows` (indices of the rows that differ from its base) and
`NAME@vals` (those rows), with `NAME@shape`, whenever that is smaller than the array. The
base of a model's parameter is its initial value, rebuilt from the random generator state
it was drawn from; the base of anything else is zeros.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

ROWS, VALS, SHAPE = "@rows", "@vals", "@shape"


def _as_rows(array: np.ndarray) -> np.ndarray:
    return array.reshape(array.shape[0], -1) if array.ndim >= 2 else array.reshape(-1, 1)


def pack(arrays: Mapping[str, np.ndarray], bases: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The arrays to write: each either whole or as its differing rows (base: `bases[name]`, else zeros)."""
    out: dict[str, np.ndarray] = {}
    for name, array in arrays.items():
        base = bases.get(name)
        if array.ndim == 0 or array.size < 4096 or (base is not None and base.shape != array.shape):
            out[name] = array
            continue
        rows = _as_rows(array)
        if base is None:
            changed = np.flatnonzero(rows.any(axis=1))
        else:
            changed = np.flatnonzero((rows != _as_rows(base)).any(axis=1))
        if len(changed) * 2 > len(rows):  # mostly changed: whole is smaller
            out[name] = array
            continue
        out[name + ROWS] = changed.astype(np.int32)
        out[name + VALS] = rows[changed]
        out[name + SHAPE] = np.asarray(array.shape, dtype=np.int64)
    return out


def unpack(stored: Mapping[str, np.ndarray], base_of: Callable[[str], np.ndarray | None]) -> dict[str, np.ndarray]:
    """The full arrays back from `pack`'s output; `base_of(name)` gives the base it was packed against."""
    out: dict[str, np.ndarray] = {}
    for key, value in stored.items():
        if key.endswith((VALS, SHAPE)):
            continue
        if not key.endswith(ROWS):
            out[key] = value
            continue
        name = key.removesuffix(ROWS)
        shape = tuple(int(x) for x in stored[name + SHAPE])
        values = stored[name + VALS]
        base = base_of(name)
        if base is None:
            array = np.zeros(shape, dtype=values.dtype)
        else:
            if base.shape != shape:
                raise ValueError(f"{name}: the stored rows belong to an array of shape {shape}, not {base.shape}")
            array = base.copy()
        _as_rows(array)[value] = values
        out[name] = array
    return out
