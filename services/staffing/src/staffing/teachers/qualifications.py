"""教师资格: the statutory kinds of teacher qualification as code data, and the 学段 each allows.

Seed 000 (PROV-NM): "全面推开中小学教师资格定期注册制度,教师必须取得相应教师资格证后,方可持证
上岗任教" — a teacher teaches only with the corresponding certificate. The kinds and their reach
are national law (`SOURCE`); the registry records a teacher's certificate (kind, number, 任教学科)
and flags a 专任教师 in post without one, or with one of a lower level than the 学段 taught
(`teachers.rules.registry_flags`). Flags, not refusals: bureaus hold such teachers today and must
be able to record them.

The certificate number (教师资格证书编号) is kept as written, up to `NUMBER_MAX_LENGTH`
characters: its 17-digit layout is described only by secondary web pages that disagree on a
digit, so no shape is enforced.
"""

from __future__ import annotations

from dataclasses import dataclass

from staffing.teachers.codes import Section

SOURCE = (
    "《教师资格条例》（国务院令第188号，1995）第四条：教师资格分为幼儿园、小学、初级中学、高级中学、"
    "中等职业学校、中等职业学校实习指导、高等学校教师资格七种；第五条：取得教师资格者可在本级及其"
    "以下等级的各类学校担任教师，中等职业学校实习指导教师资格只能担任实习指导教师。《教师法》第"
    "十一条规定各类资格的学历。NAT，SEC（官方全文不在 seeds 中）；seed 000：持证上岗任教"
)
NUMBER_MAX_LENGTH = 30


@dataclass(frozen=True, slots=True)
class QualificationType:
    """One kind of 教师资格 (教师资格条例 Art. 4) and its level (本级, Art. 5)."""

    code: str
    label: str
    level: int  # 1 幼儿园 … 5 高等学校; 高级中学 and 中等职业学校 share level 4
    practice_only: bool = False  # 实习指导: only 实习指导教师 in vocational schools (Art. 5)
    aliases: tuple[str, ...] = ()


QUALIFICATION_TYPES: tuple[QualificationType, ...] = (
    QualificationType("kindergarten", "幼儿园", 1, aliases=("幼儿园教师资格",)),
    QualificationType("primary_school", "小学", 2, aliases=("小学教师资格",)),
    QualificationType(
        "junior_secondary",
        "初级中学",
        3,
        aliases=("初中", "初级中学教师资格", "初中教师资格"),
    ),
    QualificationType(
        "senior_secondary",
        "高级中学",
        4,
        aliases=("高中", "高级中学教师资格", "高中教师资格"),
    ),
    QualificationType(
        "secondary_vocational_school",
        "中等职业学校",
        4,
        aliases=("中职", "中等职业学校教师资格"),
    ),
    QualificationType(
        "vocational_practice_instructor",
        "中等职业学校实习指导",
        4,
        practice_only=True,
        aliases=("中职实习指导", "中等职业学校实习指导教师资格"),
    ),
    QualificationType("higher_education", "高等学校", 5, aliases=("高校", "高等学校教师资格")),
)

# the level of certificate each 学段 needs (Art. 5: that level or higher)
SECTION_LEVEL: dict[Section, int] = {Section.PRIMARY: 2, Section.JUNIOR: 3}

QUALIFICATION_TYPE_CODES: dict[str, str] = {
    key: q.code for q in QUALIFICATION_TYPES for key in (q.code, q.label, *q.aliases)
}
QUALIFICATION_LABEL: dict[str, str] = {q.code: q.label for q in QUALIFICATION_TYPES}
_BY_CODE = {q.code: q for q in QUALIFICATION_TYPES}


def allows(code: str, section: Section) -> bool:
    """教师资格条例 Art. 5: a certificate allows teaching at its own level and below; a 实习指导
    certificate allows no 义务教育 teaching."""
    kind = _BY_CODE[code]
    return not kind.practice_only and kind.level >= SECTION_LEVEL[section]


def types_not_allowing(section: Section) -> frozenset[str]:
    """The kinds that do not allow teaching the section (for a set-based filter)."""
    return frozenset(q.code for q in QUALIFICATION_TYPES if not allows(q.code, section))
