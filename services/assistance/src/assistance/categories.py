"""Shared vocabulary of the assistance domains: category codes and partner agencies.

domain.md §4.2: the agency→category mapping is PARAM per province (in Inner Mongolia 农牧 may
hold 脱贫户/监测对象); the default agency here is only a default, the deployment's agency
configuration lists the categories each agency answers for.

Two categories come from the State Council's 2016 opinions, both kept by 民政 (civil affairs):

- `hardship_child` 困境儿童 — 国务院关于加强困境儿童保障工作的意见 (国发〔2016〕36号): children in
  hardship because of family poverty, disability, or a lack of care or guardianship;
- `left_behind_child` 农村留守儿童 — 国务院关于加强农村留守儿童关爱保护工作的意见
  (国发〔2016〕13号): under 16, rural household registration, both parents away for work (or
  one away and the other unable to look after the child). County 民政 offices keep the
  register (the 2016 民政部 / 教育部 / 公安部 摸底排查 notice: county 民政 leads, schools and
  公安 supply and check the data).

Seed 000 item 12 asks for the precise identification (精准摸排) of 孤儿, 事实无人抚养儿童,
农村留守儿童 and 困境儿童 and for priority for their boarding, transport and meals (优先保障寄宿、
交通、营养需求): a programme lists the categories it serves first (`priority_categories`).
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
    "left_behind_child": ("农村留守儿童", "mca"),
}
# Categories that ask for care and priority (关爱保护), not for aid by themselves: being left
# behind is no economic difficulty, so a pupil listed only in these is not counted eligible in
# the 应助尽助 coverage, and no national programme is open to them on that ground alone. A
# programme may still name them (as priority categories, or a county's eligible ones).
CARE_ONLY = frozenset({"left_behind_child"})
AGENCIES = {"mca": "民政", "cdpf": "残联", "nrra": "乡村振兴", "moa": "农牧"}
