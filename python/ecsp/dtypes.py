"""Message types of channels that cross into the device."""

from __future__ import annotations

from typing import Any

__all__ = ["SCALARS", "check_dtype"]

#: The scalar message types a device channel carries, with their sizes in bytes.
SCALARS = {"i32": 4, "u32": 4, "f32": 4, "i64": 8, "f64": 8}


def check_dtype(dtype: Any) -> str:
    """Returns ``dtype`` as its canonical name, or raises ValueError naming
    the accepted ones."""
    if isinstance(dtype, str) and dtype in SCALARS:
        return dtype
    raise ValueError(
        f"unknown channel dtype {dtype!r}: a channel carries one of " + ", ".join(f'"{d}"' for d in SCALARS)
    )
