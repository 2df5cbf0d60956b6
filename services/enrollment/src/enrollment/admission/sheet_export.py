"""The application sheet's export: stored applications (decrypted as they are read) in the
import's column order."""

from collections.abc import Sequence
from typing import Any

from enrollment.admission.models import Application
from enrollment.admission.sheet import LABEL_OF
from enrollment.imports import sheets


def export_rows(applications: Sequence[Application]) -> list[list[Any]]:
    """Applications in the import's column order: re-importing the file elsewhere gives the
    same applications (coded values as the Chinese labels the import reads)."""
    out = []
    for a in applications:
        hukou = a.household["hukou"]
        location = hukou.get("location") or {}
        permit = a.household.get("residence_permit") or {}
        out.append(
            [
                a.grade,
                a.citizen_id,
                a.student_number,
                a.child_name,
                a.birth_date,
                a.guardian["name"],
                LABEL_OF["guardian_relation"][a.guardian["relation"]],
                a.guardian["phone"],
                hukou["county_code"],
                LABEL_OF["hukou_type"][hukou["type"]],
                hukou["address"],
                location.get("longitude"),
                location.get("latitude"),
                LABEL_OF["housing"][a.household["housing"]],
                permit.get("issued_on"),
                permit.get("number"),
                a.household.get("social_insurance_months", 0),
                a.home_address,
                a.home_longitude,
                a.home_latitude,
                sheets.join_codes(a.choices),
                a.primary_school_code,
            ]
        )
    return out
