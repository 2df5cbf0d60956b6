"""The ledger's hash chain (pure): which fields an entry hashes and how the chain is checked.

entry_hash = H(prev_hash_hex_ascii || canonical_json(fields)), fields as listed in
`HASHED_FIELDS` with `recorded_at` as ISO 8601 UTC with microseconds. The first entry's
prev_hash is 64 zeros. H is the entry's own `algorithm`: `sha256`, or `sm3` for an entry appended
under the 国密 profile; an entry without one (stored before the column existed) is SHA-256. The
algorithm is not among the hashed fields, so an existing SHA-256 entry keeps its bytes, and a
chain that changed profile midway verifies entry by entry (an altered `algorithm` no longer
reproduces the entry's hash). The audit trail (junheng_kit.audit) hashes its entries by the same
rule, with its own `fields` (which include `algorithm`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from junheng_kit.crypto_profile import hash_named
from junheng_kit.i18n import Text, t
from junheng_kit.signing import canonical_json

GENESIS_HASH = "0" * 64  # the first entry's prev_hash

HASHED_FIELDS = (
    "seq",
    "kind",
    "actor",
    "student_key",
    "county_code",
    "agency",
    "purpose",
    "legal_basis",
    "consent_ref",
    "request_id",
    "answer_id",
    "outcome",
    "detail",
    "recorded_at",
)


def canonical_fields(
    entry: Mapping[str, Any], fields_hashed: Sequence[str] = HASHED_FIELDS
) -> dict[str, Any]:
    fields = {name: entry[name] for name in fields_hashed}
    recorded_at = fields["recorded_at"]
    if isinstance(recorded_at, datetime):
        fields["recorded_at"] = recorded_at.astimezone(UTC).isoformat(timespec="microseconds")
    return fields


def entry_hash(
    prev_hash: str,
    entry: Mapping[str, Any],
    *,
    fields: Sequence[str] = HASHED_FIELDS,
    algorithm: str = "sha256",
) -> str:
    """The entry's link: `algorithm` is `sha256` (the lookup ledger's) or `sm3`."""
    data = prev_hash.encode() + canonical_json(canonical_fields(entry, fields))
    return hash_named(algorithm, data).hex()


def recorded_at_text(at: datetime) -> str:
    """`recorded_at` as it is hashed: ISO 8601 UTC with microseconds."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def chain(
    prev_hash: str, entries: Iterable[Mapping[str, Any]], *, algorithm: str = "sha256"
) -> list[str]:
    """The entry hashes of consecutive entries after `prev_hash`, in a tight loop (a chunk of a
    bulk append). Each entry holds exactly `HASHED_FIELDS`, `recorded_at` already as
    `recorded_at_text`: the same hash as `entry_hash` of each in turn with `algorithm`."""
    hashes, current = [], prev_hash
    if algorithm == "sha256":
        sha256 = hashlib.sha256
        for fields in entries:
            current = sha256(current.encode() + canonical_json(fields)).hexdigest()
            hashes.append(current)
        return hashes
    for fields in entries:
        current = hash_named(algorithm, current.encode() + canonical_json(fields)).hex()
        hashes.append(current)
    return hashes


@dataclass(frozen=True, slots=True)
class ChainBreak:
    seq: int
    reason: Text


def first_break(
    entries: Iterable[Mapping[str, Any]],
    *,
    prev_seq: int,
    prev_hash: str,
    fields: Sequence[str] = HASHED_FIELDS,
) -> tuple[ChainBreak | None, int, str]:
    """Walk entries in seq order from (prev_seq, prev_hash); the first broken link, if any,
    and the (seq, hash) reached — so a long ledger is checked page by page. An entry carrying
    `algorithm` is hashed with it (an unknown one is a break)."""
    for entry in entries:
        seq = int(entry["seq"])
        if seq != prev_seq + 1:
            return (
                ChainBreak(
                    seq, t(f"第 {seq} 条接在第 {prev_seq} 条之后", f"seq {seq} follows {prev_seq}")
                ),
                prev_seq,
                prev_hash,
            )
        if entry["prev_hash"] != prev_hash:
            return (
                ChainBreak(
                    seq,
                    t("prev_hash 不是上一条的哈希", "prev_hash is not the previous entry's hash"),
                ),
                prev_seq,
                prev_hash,
            )
        algorithm = str(entry.get("algorithm") or "sha256")
        try:
            expected = entry_hash(prev_hash, entry, fields=fields, algorithm=algorithm)
        except ValueError:
            expected = None
        if expected != entry["entry_hash"]:
            return (
                ChainBreak(
                    seq,
                    t("entry_hash 与条目内容不符", "entry_hash does not match the entry's content"),
                ),
                prev_seq,
                prev_hash,
            )
        prev_seq, prev_hash = seq, str(entry["entry_hash"])
    return None, prev_seq, prev_hash
