"""名单比对: fetching each agency's signed category list for a region, verified before it is
stored, every fetch ledgered (the one-person lookups are in service.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from assistance.agencies.connector import AgencyConnector, AgencyReply
from assistance.agencies.models import CategoryList
from assistance.agencies.repository import ENTRY_COLUMNS, AgencyRepository
from assistance.ledger import service as ledger
from assistance.ledger.service import LedgerRecord
from junheng_kit.agency import protocol as rules
from junheng_kit.ids import uuid7


@dataclass(frozen=True, slots=True)
class CategoryListSummary:
    agency: str
    list_ref: UUID | None
    entry_count: int
    status: Literal["fetched", "unavailable"]
    detail: str


def _list_rows(entries: list[Any], allowed: Sequence[str]) -> list[dict[str, Any]]:
    """Entries as rows; a malformed entry raises ValueError (the whole list is refused)."""
    rows = []
    for entry in entries:
        if not isinstance(entry, list) or len(entry) != len(ENTRY_COLUMNS):
            raise ValueError("an entry is not a 7-element array")
        row = dict(zip(ENTRY_COLUMNS, entry, strict=True))
        if row["category"] not in allowed:
            continue
        row["valid_from"] = date.fromisoformat(str(row["valid_from"]))
        row["valid_until"] = date.fromisoformat(row["valid_until"]) if row["valid_until"] else None
        row["grade"] = int(row["grade"]) if row["grade"] is not None else None
        if not isinstance(row["citizen_id"], str) or len(row["citizen_id"]) != 18:
            raise ValueError("an entry's citizen_id is not 18 characters")
        rows.append(row)
    return rows


async def refresh_category_lists(
    session: AsyncSession,
    *,
    region_code: str,
    purpose: str,
    legal_basis: str,
    actor: str,
    connector: AgencyConnector,
) -> list[CategoryListSummary]:
    """名单比对: fetch each configured agency's signed category list for a region.

    Signature and entries hash are verified before anything is stored; a verified list is
    bulk-inserted. Each fetch is ledgered; an agency that is down (or answers with a bad
    signature) yields `status="unavailable"` and never raises.
    """
    rules.require_lawful_basis(purpose, legal_basis, None)
    codes = list(connector.agencies)
    requests = {
        code: connector.new_request(
            request_id=str(uuid7()),
            region_code=region_code,
            purpose=purpose,
            legal_basis=legal_basis,
            consent_ref=None,
        )
        for code in codes
    }
    replies: list[AgencyReply] = await asyncio.gather(
        *[
            connector.request_category_list(code, requests[code], region_code=region_code)
            for code in codes
        ]
    )
    repository = AgencyRepository(session)
    summaries = []
    for reply in replies:
        rows: list[dict[str, Any]] = []
        header: dict[str, Any] = reply.body["header"] if reply.body else {}
        status, detail = reply.status, reply.detail
        if reply.body is not None:
            try:
                rows = _list_rows(
                    reply.body["entries"], connector.agencies[reply.agency].categories
                )
                as_of = date.fromisoformat(str(header["as_of"]))
            except (ValueError, TypeError, KeyError) as exc:
                status, detail = "refused", f"名单格式错误 / malformed list: {exc}"
        entry = await ledger.append(
            session,
            LedgerRecord(
                kind="list_fetch",
                actor=actor,
                county_code=region_code,
                agency=reply.agency,
                purpose=purpose,
                legal_basis=legal_basis,
                request_id=str(requests[reply.agency]["request_id"]),
                answer_id=str(header["list_id"]) if status == "verified" else None,
                outcome="fetched" if status == "verified" else status,
                detail=detail or None,
            ),
        )
        if status != "verified" or reply.body is None:
            summaries.append(
                CategoryListSummary(reply.agency, None, 0, "unavailable", f"{status}: {detail}")
            )
            continue
        category_list = CategoryList(
            id=uuid7(),
            agency=reply.agency,
            region_code=region_code,
            list_id=str(header["list_id"]),
            as_of=as_of,
            entry_count=len(rows),
            entries_sha256=str(header["entries_sha256"]),
            key_id=str(reply.body["key_id"]),
            signature=str(reply.body["signature"]),
            ledger_seq=entry.seq,
        )
        repository.add(category_list)
        await session.flush()
        await repository.insert_entries(category_list.id, rows)
        summaries.append(
            CategoryListSummary(reply.agency, category_list.id, len(rows), "fetched", "")
        )
    await session.flush()
    return summaries
