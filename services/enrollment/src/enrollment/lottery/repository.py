from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.lottery.models import AssignmentRun
from junheng_kit.auth import Principal
from junheng_kit.i18n import t
from junheng_kit.problems import NotFound


@dataclass
class AssignmentRunRepository:
    session: AsyncSession

    def add(self, run: AssignmentRun) -> None:
        self.session.add(run)

    async def get(self, run_id: UUID, *, reader: Principal) -> AssignmentRun:
        """A run its creator may read, and any client whose jurisdiction covers the province
        (school_code[2:4]) of every school in the instance; anyone else gets "not found"."""
        run = await self.session.scalar(select(AssignmentRun).where(AssignmentRun.id == run_id))
        if run is None or not (
            run.created_by == reader.client_id
            or (run.county_code is not None and reader.jurisdiction.covers_code(run.county_code))
            or all(reader.jurisdiction.covers_code(p) for p in run.province_codes)
        ):
            raise NotFound(t(f"派位 {run_id} 不存在", f"assignment run {run_id} not found"))
        return run
