"""The roster snapshot's payload: the roster frame as one zstd-compressed Parquet blob.

Pure: bytes in, frame out. The columns and types are `rules.ROSTER_SCHEMA`; a payload of
another format (a later layout) is treated as absent, so the job rebuilds it.
"""

from __future__ import annotations

import io

import polars as pl

from assistance.identification import rules

FORMAT = "parquet+zstd/1"  # bump when the frame's columns change: old snapshots are rebuilt


def encode(roster: pl.DataFrame) -> bytes:
    """The frame as Parquet (zstd; one row group per 256k rows: decoded in parallel)."""
    buffer = io.BytesIO()
    roster.select(list(rules.ROSTER_SCHEMA)).write_parquet(
        buffer, compression="zstd", compression_level=3, row_group_size=262_144, statistics=False
    )
    return buffer.getvalue()


def decode(payload: bytes) -> pl.DataFrame:
    frame = pl.read_parquet(io.BytesIO(payload))
    return frame.select(pl.col(name).cast(kind) for name, kind in rules.ROSTER_SCHEMA.items())
