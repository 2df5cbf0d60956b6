"""The roster snapshot's payload: the roster frame as one zstd-compressed Parquet blob.

Pure: bytes in, frame out. The columns and types are `rules.ROSTER_SCHEMA`; a payload of
another format (a later layout) is treated as absent, so the job rebuilds it. The repository
stores the blob encrypted as one value (it holds every pupil's keys: the blind indexes of the
citizen ID and of the name with the birth date — no ID or name since format 3).
"""

from __future__ import annotations

import io

import polars as pl

from assistance.identification import rules

# bump when the frame's columns or the storage change: old snapshots are rebuilt
# (2: stored sealed — junheng_kit.fieldcrypt.encrypt_bytes under PAYLOAD — by the repository;
# 3: the blind indexes `citizen_key` and `person_key` instead of the ID and the name)
FORMAT = "parquet+zstd/3"
PAYLOAD = "assistance.roster_snapshot.payload"  # the associated data of the sealed blob


def encode(roster: pl.DataFrame) -> bytes:
    """The frame as Parquet (zstd; one row group per 256k rows: decoded in parallel)."""
    buffer = io.BytesIO()
    roster.select(list(rules.ROSTER_SCHEMA)).write_parquet(
        buffer, compression="zstd", compression_level=3, row_group_size=262_144, statistics=False
    )
    return buffer.getvalue()


def decode(payload: bytes) -> pl.DataFrame:
    frame = pl.read_parquet(io.BytesIO(payload))
    if frame.schema == pl.Schema(rules.ROSTER_SCHEMA):  # as encoded: nothing to cast
        return frame
    return frame.select(pl.col(name).cast(kind) for name, kind in rules.ROSTER_SCHEMA.items())
