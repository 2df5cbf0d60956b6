"""Award workflow over HTTP: application → review → 公示 → objections → approval →
disbursement; status notices, transfers and the working calendar.

One router for the app, made of each sub-package's router in the order the API has always listed
its routes (the OpenAPI document keeps its order)."""

from fastapi import APIRouter

from assistance.awards.approval import endpoints as approval
from assistance.awards.awards import endpoints as awards
from assistance.awards.calendar import endpoints as calendar
from assistance.awards.disbursement import endpoints as disbursement
from assistance.awards.notices import endpoints as notices
from assistance.awards.objections import endpoints as objections
from assistance.awards.publicity import endpoints as publicity
from assistance.awards.transfers import endpoints as transfers

router = APIRouter()
for part in (
    awards.router,
    approval.router,
    publicity.router,
    objections.router,
    approval.batch_router,
    disbursement.router,
    notices.router,
    transfers.router,
    calendar.router,
):
    router.include_router(part)
