"""Shared vocabulary of the assistance domains: category codes and partner agencies.

domain.md §4.2: the agency→category mapping is PARAM per province (in Inner Mongolia 农牧 may
hold 脱贫户/监测对象); the default agency here is only a default, the deployment's agency
configuration lists the categories each agency answers for.
"""

CATEGORIES = {  # code: (Chinese name, default agency)
    "dibao": ("低保家庭", "mca"),
    "tekun": ("特困供养", "mca"),
    "orphan": ("孤儿", "mca"),
    "de_facto_unsupported": ("事实无人抚养儿童", "mca"),
    "hardship_child": ("困境儿童", "mca"),
    "disabled_student": ("残疾学生", "cdpf"),
    "disabled_parent": ("残疾人家庭子女", "cdpf"),
    "tuopin": ("脱贫户", "nrra"),
    "monitored_relapse": ("防止返贫监测对象", "nrra"),
}
AGENCIES = {"mca": "民政", "cdpf": "残联", "nrra": "乡村振兴", "moa": "农牧"}
