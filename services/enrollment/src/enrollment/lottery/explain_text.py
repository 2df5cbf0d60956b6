"""派位说明 in words: why a family was not given a school it ranked higher, in Chinese and
English, from one stored explanation entry (lottery/rules.py `Explanation`). Pure: no I/O.

Lottery numbers are 64 hex characters; the text quotes their first 12 (the answer carries
them whole), and a smaller number is better (lottery/rules.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _short(number: str | None) -> str:
    return f"{number[:12]}…" if number else "—"


def reason_text(entry: Mapping[str, Any]) -> tuple[str, str]:
    """(zh, en) for one entry: reason code, the family's tier and lottery number there, and the
    school's cutoff (last admitted tier and number; none when it did not fill)."""
    reason = entry["reason"]
    tier, cutoff_tier = entry["tier"], entry["cutoff_tier"]
    mine, last = _short(entry["lottery"]), _short(entry["cutoff_lottery"])
    if reason == "not_eligible":
        return (
            "你在该校没有招生类别，不在其招生范围内",
            "you hold no priority tier at this school: it does not admit you",
        )
    if reason == "no_seats":
        return ("该校本次没有学位", "the school had no seats in this run")
    if reason == "full_in_earlier_round":
        return (
            "该校在更早一轮志愿中已经录满（志愿优先）",
            "the school was full in an earlier round (immediate acceptance, 志愿优先)",
        )
    if reason == "tier_below_cutoff":
        return (
            f"该校录取到第 {cutoff_tier} 类为止，你在该校为第 {tier} 类",
            f"the school admitted down to tier {cutoff_tier}; your tier there is {tier}",
        )
    if cutoff_tier is None:
        return (
            f"同为第 {tier} 类的申请人派位号更小，学位已满",
            f"applicants of your tier ({tier}) with smaller lottery numbers took the seats",
        )
    return (
        f"同为第 {tier} 类，你的派位号 {mine} 大于该校最后录取的派位号 {last}（小者优先）",
        f"in tier {tier} your lottery number {mine} is larger than the last one admitted, "
        f"{last} (smaller wins)",
    )


def summary_text(
    school_code: str | None, tier: int | None, admitted_to: str | None, via: str | None
) -> tuple[str, str]:
    """One sentence each: what the run gave the family, and the admission that stands."""
    if school_code is not None:
        zh = f"本次派位分到 {school_code}（第 {tier} 类）"
        en = f"the run placed you at {school_code} (tier {tier})"
    else:
        zh, en = "本次派位未分到学校", "the run did not place you"
    if admitted_to is not None and via == "placement":
        zh += f"；统筹安排录取到 {admitted_to}"
        en += f"; the bureau placed you at {admitted_to} (统筹)"
    elif admitted_to is not None:
        zh += "；已录取"
        en += "; admitted"
    elif school_code is None:
        zh += "，待统筹安排"
        en += "; the bureau places you (统筹) after the run"
    return zh, en
