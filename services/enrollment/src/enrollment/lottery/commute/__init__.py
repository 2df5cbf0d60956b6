"""路途时间: the travel time of 统筹 offers against the commute limit (seed 000), from a county's
own travel model (mode, speed, detour factor)."""
