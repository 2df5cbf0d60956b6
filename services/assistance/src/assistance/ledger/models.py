"""The lookup ledger (查询台账): hash-chained, append-only record of every agency query.

The columns and the chain are the kit's (`junheng_kit.agency.ledger`, hash rule in
`junheng_kit.agency.ledger_rules`): `ledger_entry` — `seq` strictly increasing from 1, `kind`
lookup | list_fetch | manual_evidence; `ledger_head` — one row (`id` = 1, created by migration
a0003) holding the last `seq` and `entry_hash`, locked by every append.
"""

from __future__ import annotations

from assistance.db import Base
from junheng_kit.agency.ledger import Ledger, LedgerEntryColumns, LedgerHeadColumns
from junheng_kit.agency.ledger_rules import GENESIS_HASH

__all__ = ["GENESIS_HASH", "LEDGER", "LedgerEntry", "LedgerHead"]


class LedgerEntry(Base, LedgerEntryColumns):
    """查询台账条目: one agency lookup or list fetch."""

    __tablename__ = "ledger_entry"


class LedgerHead(Base, LedgerHeadColumns):
    """The chain's head: locked by every append."""

    __tablename__ = "ledger_head"


LEDGER = Ledger(LedgerEntry, LedgerHead)
