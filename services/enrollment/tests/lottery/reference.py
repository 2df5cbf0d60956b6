"""The oracle for 电脑派位's vectorised deferred acceptance: student-proposing deferred acceptance
(Gale–Shapley) one proposal at a time with a heap per school, written for clarity, from the
rules' public parts (the lottery number, the instance, the cutoff)."""

import heapq

from enrollment.lottery.rules import Applicant, Cutoff, Instance, lottery


def rank_key(instance: Instance, applicant: Applicant, code: str) -> tuple[int, str]:
    """Smaller is better: the applicant's tier at the school, then its lottery number."""
    number = (
        lottery(instance.seed, applicant.application_id)
        if instance.tie_breaking == "single"
        else lottery(instance.seed, applicant.application_id, code)
    )
    return applicant.priorities[code], number


def reference_deferred_acceptance(
    instance: Instance,
) -> tuple[dict[str, str | None], dict[str, Cutoff | None]]:
    capacity = {s.code: s.capacity for s in instance.schools}
    # per school a heap of the held applicants, worst on top: (-tier, -lottery as int, index)
    held: dict[str, list[tuple[int, int, int]]] = {s.code: [] for s in instance.schools}
    applicants = instance.applicants
    next_choice = [0] * len(applicants)
    free = list(range(len(applicants) - 1, -1, -1))
    while free:
        index = free.pop()
        applicant = applicants[index]
        while next_choice[index] < len(applicant.preferences):
            code = applicant.preferences[next_choice[index]]
            next_choice[index] += 1
            if code not in applicant.priorities or capacity[code] == 0:
                continue
            tier, number = rank_key(instance, applicant, code)
            entry = (-tier, -int(number, 16), index)
            heap = held[code]
            if len(heap) < capacity[code]:
                heapq.heappush(heap, entry)
                break
            if entry > heap[0]:  # better than the worst held: displace it
                rejected = heapq.heapreplace(heap, entry)[2]
                free.append(rejected)
                break
    assignments: dict[str, str | None] = {a.application_id: None for a in applicants}
    cutoffs: dict[str, Cutoff | None] = {}
    for code, heap in held.items():
        for _, _, index in heap:
            assignments[applicants[index].application_id] = code
        if heap and len(heap) == capacity[code]:
            cutoffs[code] = Cutoff(*rank_key(instance, applicants[heap[0][2]], code))
        else:
            cutoffs[code] = None
    return assignments, cutoffs
