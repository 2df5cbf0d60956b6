"""The demo county's synthetic pupil roster (学生名册) for `make run` and the e2e walkthrough.

Deterministic: the same schools give the same pupils. Citizen IDs are well-formed (region of
the county, birth date fitting the grade in the 2026–27 school year, MOD 11-2 check character)
but invented; names are common surnames and given names. Two files come out: the roster as a
bureau keeps it (Chinese column titles, imported into assistance) and the candidate list the
partner-agency simulators draw their synthetic category holders from.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from junheng_kit.identifiers import citizen_id_from_body

SCHOOL_YEAR = 2026  # autumn year of the school year the demo runs in
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = [
    "子涵",
    "梓萱",
    "浩然",
    "宇轩",
    "欣怡",
    "思远",
    "嘉怡",
    "一诺",
    "雨桐",
    "若曦",
    "俊杰",
    "晨阳",
    "佳琪",
    "明轩",
    "语桐",
    "诗涵",
    "博文",
    "天佑",
    "梦琪",
    "紫涵",
    "皓轩",
    "雅琪",
    "志强",
    "晓东",
    "乐",
    "萌",
    "磊",
    "婷",
    "伟",
    "静",
    "其格",
    "巴特尔",
    "乌云",
    "塔娜",
    "苏日娜",
    "敖登",
    "格日勒",
]
TITLES = ("姓名", "身份证件号", "性别", "出生日期", "学校标识码", "学段", "年级", "是否寄宿生")
LEVEL_TITLES = {"primary": "小学", "junior": "初中"}
GRADES = {"primary": range(1, 7), "junior": range(7, 10)}
# the compulsory sections (学段) of each kind of school in the registry
SECTIONS = {
    "primary": ("primary",),
    "junior": ("junior",),
    "nine_year": ("primary", "junior"),
    "complete_secondary": ("junior",),
    "twelve_year": ("primary", "junior"),
}


@dataclass(frozen=True, slots=True)
class Pupil:
    name: str
    citizen_id: str
    gender: str
    birth_date: date
    school_code: str
    level: str
    grade: int
    boarding: bool


def demo_citizen_id(region: str, born: date, sequence: int, male: bool) -> str:
    """A well-formed 公民身份号码 of `region` and birth date; the serial's parity is the gender."""
    serial = sequence % 500 * 2 + (1 if male else 0)  # odd = male (GB 11643)
    body = f"{region}{born:%Y%m%d}{serial:03d}"
    return citizen_id_from_body(body)


def pupils(county_code: str, schools: list[dict[str, Any]], per_grade: int = 5) -> list[Pupil]:
    """`per_grade` pupils in every grade of every school section of the county."""
    rng = random.Random(f"demo-roster|{county_code}")  # noqa: S311 - synthetic demo data
    out = []
    sequence = 0
    for school in schools:
        rural = "村" in school["name"] or "乡" in school["name"] or "镇" in school["name"]
        sections = {s for kind in school["levels"] for s in SECTIONS.get(kind, ())}
        for level in sorted(sections, key=("primary", "junior").index):
            for grade in GRADES[level]:
                # entered grade 1 in the autumn of SCHOOL_YEAR - grade + 1, aged 6 by 31 August
                first = date(SCHOOL_YEAR - grade - 6, 9, 1)
                for _ in range(per_grade):
                    sequence += 1
                    male = rng.random() < 0.52
                    born = first + timedelta(days=rng.randrange(365))
                    out.append(
                        Pupil(
                            name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                            citizen_id=demo_citizen_id(county_code, born, sequence, male),
                            gender="male" if male else "female",
                            birth_date=born,
                            school_code=school["school_code"],
                            level=level,
                            grade=grade,
                            boarding=rng.random() < (0.6 if rural or level == "junior" else 0.1),
                        )
                    )
    return out


def roster_csv(roster: list[Pupil]) -> bytes:
    """The roster with the column titles bureaus use (UTF-8 with BOM, as spreadsheets save)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(TITLES)
    for p in roster:
        writer.writerow(
            [
                p.name,
                p.citizen_id,
                "男" if p.gender == "male" else "女",
                p.birth_date.isoformat(),
                p.school_code,
                LEVEL_TITLES[p.level],
                p.grade,
                "是" if p.boarding else "否",
            ]
        )
    return out.getvalue().encode("utf-8-sig")


def write_agency_candidates(roster: list[Pupil], path: Path) -> None:
    """`citizen_id,name` of every pupil: the simulators give a seeded share of them a category."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(("citizen_id", "name"))
        writer.writerows((p.citizen_id, p.name) for p in roster)
