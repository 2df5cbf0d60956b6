#!/usr/bin/env bash
# Dependency audit (issue 8 §4): pip-audit over the locked dependency set, run by `make lint`.
#
# What is audited: every third-party package pinned in uv.lock (all workspace members, all
# dependency groups), exported with the project's uv exactly as locked — not whatever happens
# to be installed. Our own workspace packages are left out (they are not on PyPI).
#
# Fails (exit 1) on any known vulnerability that is not on the allow-list below.
#
# Accepting a finding: add a line to IGNORED with the advisory id (PYSEC-…, GHSA-… or CVE-…),
# the date it was accepted and why it does not apply or cannot be fixed yet, e.g.
#   "GHSA-xxxx-xxxx-xxxx"  # 2026-11-23 jinja2 sandbox escape: we render no untrusted templates;
#                          # drop when weasyprint allows jinja2 >= 3.2 (owner: platform)
# Review the list whenever uv.lock changes; an entry without a reason and a date is refused in
# review.
#
# Network: pip-audit asks the PyPI vulnerability database (the JSON API, /pypi/<name>/<version>/
# json) for each pinned version; JUNHENG_AUDIT_SERVICE=osv asks OSV instead. Offline (or behind
# an index mirror without that API) nothing can be looked up: the script says loudly that the
# audit did NOT run and exits 0, so `make lint` still works on a machine without that access;
# JUNHENG_AUDIT_STRICT=1 (for a CI job with network) makes that a failure (exit 2) too.
# A known vulnerability always fails (exit 1).
set -euo pipefail

IGNORED=(
  # (none accepted so far)
)

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
UV="${UV:-$(command -v uv 2>/dev/null || echo "$HOME/.local/bin/uv")}"
PY="${PY:-.venv/bin/python}"
service="${JUNHENG_AUDIT_SERVICE:-pypi}"

workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT
requirements="$workdir/requirements.txt"

"$UV" export --frozen --no-hashes --no-emit-workspace --all-packages --all-groups \
  --quiet --output-file "$requirements"
count="$(grep -c '==' "$requirements" || true)"

args=(-r "$requirements" --no-deps --disable-pip --progress-spinner off
  --vulnerability-service "$service" --format json --output "$workdir/report.json")
for id in "${IGNORED[@]}"; do
  args+=(--ignore-vuln "$id")
done

echo "pip-audit: ${count} pins exported from uv.lock (those for this platform are audited; service ${service}," \
  "${#IGNORED[@]} accepted finding(s))"
set +e
"$PY" -m pip_audit "${args[@]}" 2>"$workdir/err"
set -e
# pip-audit's exit status alone is not enough: a package it could not look up is "skipped",
# and a run where every lookup failed (no network) would otherwise look clean.
"$PY" - "$workdir/report.json" "$workdir/err" <<'PYTHON'
import json
import os
import sys

report_path, err_path = sys.argv[1], sys.argv[2]
try:
    with open(report_path) as f:
        dependencies = json.load(f)["dependencies"]
except (OSError, ValueError, KeyError):
    sys.stderr.write(open(err_path).read())
    print("pip-audit failed before reporting (see above): the dependency audit did NOT run")
    sys.exit(2)
skipped = [d for d in dependencies if "skip_reason" in d]
audited = [d for d in dependencies if "skip_reason" not in d]
findings = [(d, v) for d in audited for v in d.get("vulns", [])]
for dependency, vuln in findings:
    fixes = ", ".join(vuln.get("fix_versions", [])) or "no fixed release"
    aliases = " ".join(vuln.get("aliases", []))
    print(f"VULNERABLE {dependency['name']} {dependency['version']}: {vuln['id']} {aliases}"
          f" (fixed in: {fixes})")
    print(f"    {vuln.get('description', '').strip()[:400]}")
print(f"pip-audit: {len(audited)} audited, {len(skipped)} not looked up, "
      f"{len(findings)} known vulnerabilit{'y' if len(findings) == 1 else 'ies'}")
if findings:
    print("fix: raise the pin in pyproject.toml and `uv lock`, or accept it in IGNORED "
          "(tests/security/audit.sh) with the reason and the date")
    sys.exit(1)
if skipped:
    print(f"NOT AUDITED: {len(skipped)} package(s) could not be looked up, e.g. "
          f"{skipped[0]['name']}: {skipped[0]['skip_reason']}")
    if not audited:
        print("the vulnerability database is unreachable (offline, or an index mirror without "
              "the PyPI JSON API): this run audited nothing. Re-run with network access "
              "(JUNHENG_AUDIT_SERVICE=osv asks api.osv.dev instead).")
    if os.environ.get("JUNHENG_AUDIT_STRICT") == "1":
        sys.exit(2)
    print("(not a failure unless JUNHENG_AUDIT_STRICT=1; set it where the network is there)")
    sys.exit(0)
print("pip-audit: no known vulnerabilities in the locked dependency set")
PYTHON
