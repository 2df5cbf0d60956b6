"""The application answer, masked or not: personal data in full only for `enrollment:pii`
(the masking rules are assistance's, from `junheng_kit.logs`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from enrollment.admission import submission
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
from junheng_kit.logs import (
    mask_address,
    mask_citizen_id,
    mask_coordinate,
    mask_name,
    mask_phone,
    mask_student_number,
)


def shows_pii(principal: Principal) -> bool:
    return PII in principal.scopes


# the application sheet's personal columns (admission/sheet.py COLUMNS) and how each is masked
SHEET_MASKS: dict[str, Callable[[Any], Any]] = {
    "child_citizen_id": mask_citizen_id,
    "student_number": mask_student_number,
    "child_name": mask_name,
    "birth_date": lambda _: None,
    "guardian_name": mask_name,
    "guardian_phone": mask_phone,
    "hukou_address": mask_address,
    "hukou_longitude": mask_coordinate,
    "hukou_latitude": mask_coordinate,
    "residence_permit_number": mask_citizen_id,
    "home_address": mask_address,
    "home_longitude": mask_coordinate,
    "home_latitude": mask_coordinate,
}


def masked_sheet_rows(keys: Sequence[str], rows: Sequence[list[Any]]) -> list[list[Any]]:
    """Export rows with the personal columns masked (a caller without `enrollment:pii`); empty
    cells stay empty. Such a sheet reads, but cannot be imported back."""
    masks = [SHEET_MASKS.get(key) for key in keys]
    return [
        [v if mask is None or v is None else mask(v) for mask, v in zip(masks, row, strict=True)]
        for row in rows
    ]


def _household(document: Mapping[str, Any], pii: bool) -> HouseholdRead:
    household = dict(document)
    hukou = dict(household["hukou"])
    permit = household.get("residence_permit")
    if not pii:
        hukou["address"] = mask_address(hukou["address"])
        if hukou.get("location"):
            hukou["location"] = {k: mask_coordinate(v) for k, v in hukou["location"].items()}
        if permit and permit.get("number"):
            permit = {**permit, "number": mask_citizen_id(permit["number"])}
    hukou.setdefault("location", None)
    household.setdefault("social_insurance_months", 0)
    return HouseholdRead.model_validate({**household, "hukou": hukou, "residence_permit": permit})


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
    number = application.student_number
    return ApplicationRead(
        id=application.id,
        county_code=application.county_code,
        year=application.year,
        grade=application.grade,
        level=application.level,
        status=application.status,
        status_reason=application.status_reason,
        admission=admission,
        child=ChildRead(
            citizen_id=application.citizen_id if pii else mask_citizen_id(application.citizen_id),
            name=application.child_name if pii else mask_name(application.child_name),
            birth_date=application.birth_date if pii else None,
            student_number=number if pii or number is None else mask_student_number(number),
        ),
        child_key=application.child_key,
        guardian=GuardianRead(
            name=guardian["name"] if pii else mask_name(guardian["name"]),
            relation=guardian["relation"],
            phone=guardian["phone"] if pii else mask_phone(guardian["phone"]),
        ),
        household=_household(application.household, pii),
        migrant=application.migrant,
        home=HomeRead(
            longitude=application.home_longitude
            if pii
            else mask_coordinate(application.home_longitude),
            latitude=application.home_latitude
            if pii
            else mask_coordinate(application.home_latitude),
            address=application.home_address if pii else mask_address(application.home_address),
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
