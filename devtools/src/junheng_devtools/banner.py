"""The banner `make run` prints: the running system's addresses, the demo client and the calls
to try each service with."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from junheng_devtools.system import System


def banner(
    system: System,
    credentials: dict[str, Any],
    created: int,
    total: int,
    students: int,
    intake: dict[str, Any],
) -> str:
    """What `make run` prints once the system is up: where everything is and how to call it."""
    url = system.gateway_url
    mca, cdpf, nrra, moa = (system.agency_url(code) for code in system.agencies)
    return f"""
Junheng (均衡) is running — demo county {credentials["jurisdiction"][0]} (东胜区), {total} schools \
({created} new).

  Gateway        {url}
  API docs       {url}/docs          (merged OpenAPI: {url}/openapi.json)
  Demo client    var/demo-client.json  (all read/write scopes, jurisdiction \
{" ".join(credentials["jurisdiction"])})
  Demo auditor   var/demo-auditor.json (audit:read: GET {url}/enrollment/v1/audit, the family
                 view POST {url}/v1/audit/children/search)
  Logs           var/logs/<service>.log
  NATS           {system.nats.url if system.nats else "-"} — TLS (CA var/nats-tls/ca.pem), an
                 identity and permissions per process (var/nats-auth/; the operator tools use
                 JUNHENG_NATS_NKEY_SEED_FILE=var/nats-auth/operator.nk)

Try it:
  TOKEN=$(curl -s -X POST {url}/oauth/token -d grant_type=client_credentials \\
      -d client_id={credentials["client_id"]} -d client_secret={credentials["client_secret"]} \\
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  curl -s -H "Authorization: Bearer $TOKEN" {url}/enrollment/v1/schools
  curl -s -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
      {url}/enrollment/v1/schools -d '{{"school_code": "2115069901", "name": "东胜区新建小学", \
"levels": ["primary"], "county_code": "150602", "location": {{"longitude": 109.99, \
"latitude": 39.82}}, "planned_capacity": 1350}}'
  curl -s -H "Authorization: Bearer $TOKEN" {url}/staffing/v1/schools/2115069901

Admissions (招生入学) for the {intake["year"]} grade-1 intake: four attendance zones (划片), seat
plans, the (invented) priority policy and 60 verified applications are loaded.
  curl -s -H "Authorization: Bearer $TOKEN" \\
      "{url}/enrollment/v1/zones/lookup?county_code=150602&level=primary&year={intake["year"]}\
&longitude=109.99&latitude=39.81"
  # 电脑派位 on the verified applications (deferred acceptance, public SHA-256 lottery):
  curl -s -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
      {url}/enrollment/v1/assignment-runs -d '{{"county_code": "150602", "year": \
{intake["year"]}, "level": "primary", "seed": "{intake["year"]}-东胜区-公证处-0731", \
"mechanism": "deferred_acceptance", "tie_breaking": "single"}}'
  # each family's explanation is in the answer; replay: GET …/assignment-runs/<id>/instance and
  # POST it back; 统筹 offers for the unplaced: GET …/assignment-runs/<id>/overflow

Supervision indicators (县域义务教育优质均衡督导评估) for the demo county, 2025—2026 school year:
  curl -s -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
      {url}/evaluation/v1/assessments -d '{{"county_code": "150602", "year": 2025}}'
  # re-import the resource table from the spreadsheet a bureau keeps (var/ has the demo one):
  curl -s -X POST -H "Authorization: Bearer $TOKEN" \\
      -H 'Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' \\
      --data-binary @var/demo-school-resources-2025.xlsx \\
      {url}/evaluation/v1/school-resources/150602/2025/imports
  # 班额 on the real classes of every grade (one 57-pupil class is a 大班额), and the verdict:
  curl -s -H "Authorization: Bearer $TOKEN" {url}/evaluation/v1/school-classes/150602/2025
  curl -s -H "Authorization: Bearer $TOKEN" \\
      {url}/evaluation/v1/counties/150602/years/2025/verdict

Student aid (学生资助, 应助尽助): the {students} pupils of var/demo-students.csv are on the
assistance roster; four simulated partner agencies (民政 {mca}, 残联 {cdpf},
乡村振兴 {nrra}, 农牧 {moa}) hold a share of them in their registries.
{_aid_clock_line(system)}
  # identify the eligible without an award (免申即享): fetch the agencies' signed lists, match
  curl -s -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
      {url}/assistance/v1/identification-jobs -d '{{"county_code": "150602", \
"school_year": 2026, "refresh_lists": true, "purpose": "应助尽助 认定", \
"legal_basis": "教财〔2018〕16号"}}'
  curl -s -H "Authorization: Bearer $TOKEN" \\
      "{url}/assistance/v1/awards?county_code=150602&source=auto&status=proposed"
  curl -s -H "Authorization: Bearer $TOKEN" \\
      "{url}/assistance/v1/coverage?county_code=150602&school_year=2026"
  # then review → 公示 (≥ 5 working days) → approval → disbursement: services/assistance/README.md
  # break a simulator and see the fallback (lookups answer `unavailable` + manual evidence):
  curl -s -X PUT {mca}/_sim/faults -H 'Content-Type: application/json' -d '{{"mode": "down"}}'
  curl -s -H "Authorization: Bearer $TOKEN" {url}/assistance/v1/agencies
{_facts_lines(system, url)}
Ctrl-C stops every process.
"""


def _facts_lines(system: System, url: str) -> str:
    """The enrollment sources (issue 22), when they run."""
    if not system.fact_agencies:
        return ""
    where = ", ".join(f"{code} {system.agency_url(code)}" for code in system.fact_agencies)
    return f"""
Enrollment facts (数据共享核验): four simulated sources — 公安 户籍, 公安 居住证, 不动产登记,
人社 社保 ({where}) — hold a household record of each demo pupil. A county policy with
`data_sharing` (purpose, legal basis) has every submitted application's tier facts checked:
  curl -s -H "Authorization: Bearer $TOKEN" {url}/enrollment/v1/applications/<id>/facts
  curl -s -X POST -H "Authorization: Bearer $TOKEN" \\
      "{url}/enrollment/v1/facts/recheck?county=150602"
"""


def _aid_clock_line(system: System) -> str:
    if not system.assistance_clock_at:
        return "Student aid runs on the machine's clock (JUNHENG_CLOCK_AT is empty)."
    return (
        f"Student aid (and the agencies) run on a demo clock that started at "
        f"{system.assistance_clock_at}\n(JUNHENG_CLOCK_AT, dev only): a 公示 starts that day or "
        "later, approvals and payments follow it."
    )
