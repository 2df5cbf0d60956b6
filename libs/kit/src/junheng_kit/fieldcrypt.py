"""Sensitive fields encrypted at rest, and found again through a keyed blind index.

A column typed `Encrypted("<service>.<table>.<column>")` stores

    enc:1:<algorithm>:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>

— authenticated encryption (AES-256-GCM, or SM4-GCM under the 国密 profile) with a fresh nonce per
value and the column's name as associated data, so a value copied into another column does not
open. The keys are a **keyring** (`<SERVICE>_FIELD_KEYS`: `<key id>=<base64 key>` entries, comma-
or line-separated, the first encrypts, every one decrypts; or `@<file>` — a mounted secret).
Rotation without downtime: put a new key first, restart, run `reencrypt` (batches of rows whose
values are not under the current key and algorithm: decrypted and written back in one statement
per batch, safe to interrupt and run again on any replica), then drop the old key.

Equality lookups and uniqueness go through a **blind index** beside the column: the keyed hash
(HMAC-SHA-256, or HMAC-SM3 under 国密) of the normalised value under `<SERVICE>_BLIND_INDEX_KEY`,
32 hex digits. A list of citizen IDs from an agency is matched by computing the index of each
ID in it and joining on the index column: nothing is decrypted to search.

Keys for a deployment: `python -m junheng_kit.fieldcrypt new-keys <service>` prints both
settings (the current profile's key size); `new-key --id <kid>` one more keyring entry for a
rotation. In
`JUNHENG_ENV=dev` a service that encrypts fields and has no keys uses `dev_field_keys()`, fixed
and public — never for real data (settings refuse the absence of keys outside dev).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import os
import re
import secrets
import sys
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from sqlalchemy import Table, bindparam, or_, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.types import LargeBinary, String, Text, TypeDecorator

from junheng_kit.crypto_profile import GUOMI, INTERNATIONAL, Profile, profile

PREFIX = "enc:1:"
ALGORITHMS: dict[str, Profile] = {"aes256gcm": INTERNATIONAL, "sm4gcm": GUOMI}
ALGORITHM_OF = {INTERNATIONAL.name: "aes256gcm", GUOMI.name: "sm4gcm"}
KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
INDEX_HEX = 32  # 128 bits of the keyed hash


class FieldKeysMissing(RuntimeError):
    """An encrypted column was read or written before `configure` (or without keys)."""


class FieldUnreadable(ValueError):
    """A stored value that no key of the ring opens, or that was altered or moved."""


@dataclass(frozen=True, slots=True)
class Keyring:
    """Field keys by id; `current` encrypts. `index_key` makes the blind indexes."""

    keys: dict[str, bytes]
    current: str
    index_key: bytes

    @property
    def algorithm(self) -> str:
        return ALGORITHM_OF[profile().name]


def parse_keys(text: str) -> tuple[dict[str, bytes], str]:
    """`kid=base64key` entries (comma or newline separated; `@file` reads a file): the keys and
    the first one's id. 16-byte keys serve SM4, 32-byte keys AES-256 (one ring may hold both
    while a deployment changes profile)."""
    text = text.strip()
    if text.startswith("@"):
        text = Path(text[1:]).read_text()
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for entry in re.split(r"[,\n]", text):
        entry = entry.strip()
        if not entry or entry.startswith("#"):
            continue
        kid, sep, value = entry.partition("=")
        if not sep or not KEY_ID.match(kid.strip()):
            raise ValueError("field keys are `<key id>=<base64 key>` (id: letters, digits, _-)")
        try:
            key = base64.b64decode(value.strip(), validate=True)
        except binascii.Error as error:
            raise ValueError(f"field key {kid.strip()}: not base64") from error
        if len(key) not in (16, 32):
            raise ValueError(f"field key {kid.strip()}: 16 bytes (SM4) or 32 (AES-256)")
        keys[kid.strip()] = key
        order.append(kid.strip())
    if not order:
        raise ValueError("no field key given")
    return keys, order[0]


_ring: Keyring | None = None


def configure(keys: str, index_key: str) -> Keyring:
    """The process's keyring (at start-up, from settings). The current key must suit the
    profile: 32 bytes for AES-256-GCM, 16 for SM4-GCM."""
    global _ring
    parsed, current = parse_keys(keys)
    wanted = profile().key_bytes
    if len(parsed[current]) != wanted:
        raise ValueError(
            f"the current field key {current} has {len(parsed[current])} bytes; the "
            f"{profile().name} profile encrypts with {wanted}-byte keys"
        )
    index_key = index_key.strip()
    if index_key.startswith("@"):
        index_key = Path(index_key[1:]).read_text().strip()
    raw_index = base64.b64decode(index_key, validate=True)
    if len(raw_index) < 16:
        raise ValueError("the blind index key needs at least 16 bytes")
    _ring = Keyring(parsed, current, raw_index)
    return _ring


def new_key(kid: str, key_bytes: int | None = None) -> str:
    """One keyring entry `kid=base64key`, random, sized for the profile in force."""
    if not KEY_ID.match(kid):
        raise ValueError("a key id is 1-32 letters, digits, _ or -")
    size = key_bytes or profile().key_bytes
    return f"{kid}={base64.b64encode(secrets.token_bytes(size)).decode()}"


def new_index_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def dev_field_keys() -> tuple[str, str]:
    """The dev-only keyring and blind-index key (fixed, derived from public strings): what a
    service that encrypts fields uses in JUNHENG_ENV=dev when none is set."""
    size = profile().key_bytes
    key = hashlib.sha256(b"junheng dev-only field key").digest()[:size]
    index = hashlib.sha256(b"junheng dev-only blind index key").digest()
    return f"dev={base64.b64encode(key).decode()}", base64.b64encode(index).decode()


def configure_from_env(prefix: str) -> Keyring:
    """The keyring from `<prefix>_FIELD_KEYS` / `<prefix>_BLIND_INDEX_KEY` (prefix: the service's,
    e.g. "ENROLLMENT"), for code that runs without the service's settings — a migration that
    encrypts stored rows: the dev-only keys when neither is set and JUNHENG_ENV is dev, else both
    are required."""
    names = f"{prefix}_FIELD_KEYS", f"{prefix}_BLIND_INDEX_KEY"
    keys, index_key = os.environ.get(names[0]), os.environ.get(names[1])
    if keys is None and index_key is None and os.environ.get("JUNHENG_ENV") == "dev":
        keys, index_key = dev_field_keys()
    if not keys or not index_key:
        raise FieldKeysMissing(
            f"encrypting stored fields needs {names[0]} and {names[1]} "
            "(python -m junheng_kit.fieldcrypt new-keys <service>)"
        )
    return configure(keys, index_key)


def keyring() -> Keyring:
    if _ring is None:
        raise FieldKeysMissing("field keys are not configured (<SERVICE>_FIELD_KEYS)")
    return _ring


def encrypt(value: str, column: str, ring: Keyring | None = None) -> str:
    ring = ring or keyring()
    algorithm = ring.algorithm
    sealed = ALGORITHMS[algorithm].seal(ring.keys[ring.current], value.encode(), column.encode())
    body = base64.urlsafe_b64encode(sealed).decode().rstrip("=")
    return f"{PREFIX}{algorithm}:{ring.current}:{body}"


def decrypt(stored: str, column: str, ring: Keyring | None = None) -> str:
    ring = ring or keyring()
    algorithm, kid, body = _parts(stored)
    key = ring.keys.get(kid)
    if key is None:
        raise FieldUnreadable(f"{column}: key {kid} is not in the keyring")
    try:
        sealed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        return ALGORITHMS[algorithm].open(key, sealed, column.encode()).decode()
    except (InvalidTag, ValueError, binascii.Error) as error:
        raise FieldUnreadable(f"{column}: the stored value was altered or moved") from error


def _parts(stored: str) -> tuple[str, str, str]:
    if not stored.startswith(PREFIX):
        raise FieldUnreadable("not an encrypted value")
    algorithm, _, rest = stored[len(PREFIX) :].partition(":")
    kid, _, body = rest.partition(":")
    if algorithm not in ALGORITHMS or not kid or not body:
        raise FieldUnreadable("not an encrypted value")
    return algorithm, kid, body


def is_current(stored: str, ring: Keyring | None = None) -> bool:
    ring = ring or keyring()
    return stored.startswith(f"{PREFIX}{ring.algorithm}:{ring.current}:")


class Encrypted(TypeDecorator[str]):
    """A text column stored encrypted (see the module). `column` names it for the associated
    data: `"<service>.<table>.<column>"`, never changed once values are stored."""

    impl = Text
    cache_ok = True

    def __init__(self, column: str) -> None:
        super().__init__()
        self.column = column

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else encrypt(value, self.column)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else decrypt(value, self.column)


# --- blind indexes ------------------------------------------------------------------------------


def normalise_citizen_id(value: str) -> str:
    return value.strip().upper()


def normalise_name(value: str) -> str:
    """NFKC (full-width forms folded), inner spaces and the middle dot variants dropped."""
    folded = unicodedata.normalize("NFKC", value)
    return re.sub(r"[\s·•・]", "", folded)


def normalise_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    return digits[2:] if digits.startswith("86") and len(digits) == 13 else digits


def blind_index(value: str, kind: str, ring: Keyring | None = None) -> str:
    """The keyed hash of an already normalised value; `kind` ("citizen_id", "name", …) keeps
    equal strings of different kinds apart."""
    ring = ring or keyring()
    return profile().mac(ring.index_key, f"{kind}\0{value}".encode()).hex()[:INDEX_HEX]


def blind_indexes(values: Iterable[str], kind: str) -> list[str]:
    ring = keyring()
    return [blind_index(v, kind, ring) for v in values]


# --- rotation ----------------------------------------------------------------------------------


async def reencrypt(
    sessionmaker: async_sessionmaker[AsyncSession],
    table: Table,
    columns: dict[str, str],
    *,
    key: str = "id",
    batch: int = 1000,
) -> int:
    """Rewrite every value of `columns` (column → its associated-data name) not under the
    current key and algorithm; the number of rows rewritten. One read and one executemany
    UPDATE per batch of `batch` rows, each in its own transaction: interruptible, repeatable,
    concurrent with the service's writes (a row written meanwhile is already current)."""
    ring = keyring()
    current = f"{PREFIX}{ring.algorithm}:{ring.current}:%"
    stored = {name: type_coerce(table.c[name], Text) for name in columns}  # as stored, raw
    stale = or_(*(column.is_not(None) & ~column.like(current) for column in stored.values()))
    done, after = 0, None
    while True:
        query = select(table.c[key], *stored.values()).where(stale)
        if after is not None:
            query = query.where(table.c[key] > after)
        async with sessionmaker() as session, session.begin():
            rows = (await session.execute(query.order_by(table.c[key]).limit(batch))).all()
            if not rows:
                return done
            updates = [_rewritten(row, columns, ring) for row in rows]
            values = {name: bindparam(f"new_{name}", type_=Text) for name in columns}
            await session.execute(
                update(table).where(table.c[key] == bindparam("row_key")).values(values),
                updates,
                execution_options={"synchronize_session": False},
            )
        done += len(rows)
        after = rows[-1][0]


def _rewritten(row: Sequence[Any], columns: dict[str, str], ring: Keyring) -> dict[str, Any]:
    out: dict[str, Any] = {"row_key": row[0]}
    for index, (name, associated) in enumerate(columns.items(), start=1):
        stored = row[index]
        if stored is None or is_current(stored, ring):
            out[f"new_{name}"] = stored
        else:
            out[f"new_{name}"] = encrypt(decrypt(stored, associated, ring), associated, ring)
    return out


@dataclass(frozen=True, slots=True)
class IndexOf:
    """How an index column is made: from `column` (encrypted under `associated`), normalised by
    `normalise`, keyed with `kind` (see `blind_index`)."""

    column: str
    associated: str
    kind: str
    normalise: Callable[..., str]
    # more encrypted columns the indexed value is made of, as (column, associated data): their
    # plaintexts are passed to `normalise` after the first column's, in this order (a name
    # indexed with the birth date of the ID beside it); a null in any of them: no index
    also: tuple[tuple[str, str], ...] = ()


CLEARED_VALUE = ""  # what a retention purge leaves in an identifying field (junheng_kit.retention)


async def reindex(
    sessionmaker: async_sessionmaker[AsyncSession],
    table: Table,
    indexes: dict[str, IndexOf],
    *,
    key: str = "id",
    batch: int = 1000,
) -> int:
    """Recompute every blind index of `table` (index column → how it is made) from the values
    and write those that differ; the number of rows rewritten. Needed once after the profile
    changes (HMAC-SHA-256 ↔ HMAC-SM3: every index changes), run with the reencryption. A
    stored index cannot say which MAC made it, so every row is read, in batches of `batch` by
    `key`, each batch its own transaction: interruptible and repeatable (a second run rewrites
    nothing). A row whose source a retention purge cleared (the empty string) keeps the index
    it has: indexing "" would give every pseudonymised row the same value, against the index's
    uniqueness."""
    ring = keyring()
    associated = {how.column: how.associated for how in indexes.values()}
    for how in indexes.values():
        associated.update(how.also)
    sources = sorted(associated)
    stored = [type_coerce(table.c[name], Text) for name in sources]
    done, after = 0, None
    while True:
        query = select(table.c[key], *stored, *(table.c[name] for name in indexes))
        if after is not None:
            query = query.where(table.c[key] > after)
        async with sessionmaker() as session, session.begin():
            rows = (await session.execute(query.order_by(table.c[key]).limit(batch))).all()
            if not rows:
                return done
            changed = []
            for row in rows:
                values = dict(zip(sources, row[1 : 1 + len(sources)], strict=True))
                current = dict(zip(indexes, row[1 + len(sources) :], strict=True))
                plain = {
                    name: None if value is None else decrypt(value, associated[name], ring)
                    for name, value in values.items()
                }
                fresh = {}
                for name, how in indexes.items():
                    parts = [plain[how.column], *(plain[column] for column, _ in how.also)]
                    if any(part == CLEARED_VALUE for part in parts):
                        fresh[name] = current[name]  # pseudonymised: no value to index again
                    elif any(part is None for part in parts):
                        fresh[name] = None
                    else:
                        fresh[name] = blind_index(how.normalise(*parts), how.kind, ring)
                if fresh != current:
                    changed.append({"row_key": row[0], **{f"new_{n}": v for n, v in fresh.items()}})
            if changed:
                values_of = {name: bindparam(f"new_{name}", type_=String) for name in indexes}
                await session.execute(
                    update(table).where(table.c[key] == bindparam("row_key")).values(values_of),
                    changed,
                    execution_options={"synchronize_session": False},
                )
        done += len(changed)
        after = rows[-1][0]


# --- one large value (a blob) ---------------------------------------------------------------


def encrypt_bytes(value: bytes, column: str, ring: Keyring | None = None) -> bytes:
    """A binary value sealed as one: `enc:1:<algorithm>:<key id>:` then nonce ‖ ciphertext ‖
    tag, raw (a blob is not inflated by base64) — one AES-GCM / SM4-GCM operation whatever its
    size; `column` is the associated data, as for `encrypt`."""
    ring = ring or keyring()
    algorithm = ring.algorithm
    sealed = ALGORITHMS[algorithm].seal(ring.keys[ring.current], value, column.encode())
    return f"{PREFIX}{algorithm}:{ring.current}:".encode() + sealed


def decrypt_bytes(stored: bytes, column: str, ring: Keyring | None = None) -> bytes:
    """The value `encrypt_bytes` sealed; FieldUnreadable when no key opens it or it is not one."""
    ring = ring or keyring()
    prefix = PREFIX.encode()
    algorithm_b, _, rest = stored[len(prefix) :].partition(b":")
    kid_b, _, body = rest.partition(b":")  # the body is raw: only the first two colons split
    algorithm, kid = algorithm_b.decode(errors="replace"), kid_b.decode(errors="replace")
    if not stored.startswith(prefix) or algorithm not in ALGORITHMS or not kid or not body:
        raise FieldUnreadable("not an encrypted value")
    key = ring.keys.get(kid)
    if key is None:
        raise FieldUnreadable(f"{column}: key {kid} is not in the keyring")
    try:
        return ALGORITHMS[algorithm].open(key, body, column.encode())
    except (InvalidTag, ValueError) as error:
        raise FieldUnreadable(f"{column}: the stored value was altered or moved") from error


def configured() -> Keyring | None:
    """The process's keyring, or None in a process that encrypts no fields."""
    return _ring


class SealedIfKeyed(TypeDecorator[bytes]):
    """A blob sealed with `encrypt_bytes` in a process that has field keys (a service that
    encrypts personal data: its stored answers may hold it), kept as given elsewhere. Reads
    open what was sealed and pass plain values through, so rows written before the keys (or
    by a process without them) stay readable."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, column: str) -> None:
        super().__init__()
        self.column = column

    def process_bind_param(self, value: bytes | None, dialect: Any) -> bytes | None:
        ring = _ring
        if value is None or ring is None:
            return value
        return encrypt_bytes(value, self.column, ring)

    def process_result_value(self, value: bytes | None, dialect: Any) -> bytes | None:
        if value is None or not bytes(value).startswith(PREFIX.encode()):
            return value
        return decrypt_bytes(bytes(value), self.column)


def is_current_bytes(stored: bytes, ring: Keyring | None = None) -> bool:
    ring = ring or keyring()
    return stored.startswith(f"{PREFIX}{ring.algorithm}:{ring.current}:".encode())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m junheng_kit.fieldcrypt",
        description="Keys for fields encrypted at rest (sized by JUNHENG_CRYPTO_PROFILE).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    both = commands.add_parser("new-keys", help="a new keyring and blind-index key, env lines")
    both.add_argument("service", help="the service they are for (enrollment, staffing, …)")
    one = commands.add_parser("new-key", help="one more keyring entry (rotation: put it first)")
    one.add_argument("--id", required=True, help="the new key's id (letters, digits, _-)")
    args = parser.parse_args(argv)
    if args.command == "new-keys":
        print(f"{args.service.upper()}_FIELD_KEYS={new_key('k1')}")
        print(f"{args.service.upper()}_BLIND_INDEX_KEY={new_index_key()}")
    else:
        print(new_key(args.id))
    return 0


if __name__ == "__main__":
    sys.exit(main())
