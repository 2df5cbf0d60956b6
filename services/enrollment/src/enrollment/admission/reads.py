"""The application answer, masked or not: personal data in full only for `enrollment:pii`;
what is masked, and how, is the answer's field classification (junheng_kit.classification)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from enrollment.admission import sheet, submission
from enrollment.admission.models import Application, ApplicationVerification
from enrollment.admission.read_schemas import (
    PII,
    ApplicationAdmission,
    ApplicationRead,
    ChecklistItem,
    ChildRead,
    GuardianRead,
    HomeRead,
    HouseholdRead,
)
from junheng_kit.auth import Principal
from junheng_kit.classification import mask_of, masked


def shows_pii(principal: Principal) -> bool:
    return PII in principal.scopes


# the application sheet's columns (admission/sheet.py COLUMN_OF_PATH) masked as the answer's
# fields at the same path are (junheng_kit.classification): no list of personal columns here
SHEET_MASKS: dict[str, Callable[[Any], Any]] = {
    column: mask
    for path, column in sheet.COLUMN_OF_PATH.items()
    if (mask := mask_of(ApplicationRead, path)) is not None
}


def masked_sheet_rows(keys: Sequence[str], rows: Sequence[list[Any]]) -> list[list[Any]]:
    """Export rows with the personal columns masked (a caller without `enrollment:pii`); empty
    cells stay empty. Such a sheet reads, but cannot be imported back."""
    masks = [SHEET_MASKS.get(key) for key in keys]
    return [
        [v if mask is None or v is None else mask(v) for mask, v in zip(masks, row, strict=True)]
        for row in rows
    ]


def _household(document: Mapping[str, Any]) -> HouseholdRead:
    household = dict(document)
    hukou = dict(household["hukou"])
    hukou.setdefault("location", None)
    household.setdefault("social_insurance_months", 0)
    household.setdefault("residence_permit", None)
    return HouseholdRead.model_validate({**household, "hukou": hukou})


def application_read(
    application: Application | submission.Recorded,
    required: Sequence[str],
    checks: Mapping[str, ApplicationVerification],
    *,
    pii: bool,
    admission: ApplicationAdmission | None = None,
) -> ApplicationRead:
    options = application.home_schools + [
        c for c in application.hukou_schools if c not in application.home_schools
    ]
    guardian = application.guardian
    read = ApplicationRead(
        id=application.id,
        county_code=application.county_code,
        year=application.year,
        grade=application.grade,
        level=application.level,
        status=application.status,
        status_reason=application.status_reason,
        admission=admission,
        child=ChildRead(
            citizen_id=application.citizen_id,
            name=application.child_name,
            birth_date=application.birth_date,
            student_number=application.student_number,
        ),
        child_key=application.child_key,
        guardian=GuardianRead(
            name=guardian["name"], relation=guardian["relation"], phone=guardian["phone"]
        ),
        household=_household(application.household),
        migrant=application.migrant,
        home=HomeRead(
            longitude=application.home_longitude,
            latitude=application.home_latitude,
            address=application.home_address,
        ),
        home_zone_code=application.home_zone_code,
        hukou_zone_code=application.hukou_zone_code,
        school_options=options,
        choices=application.choices,
        primary_school_code=application.primary_school_code,
        checklist=[
            ChecklistItem(
                document=document,
                status=checks[document].result if document in checks else "not_checked",
            )
            for document in required
        ],
        version=application.version,
        created_at=application.created_at,
        updated_at=application.updated_at,
    )
    return read if pii else masked(read)
