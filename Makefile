# Junheng (均衡) — the two commands are `make run` and `make test`; everything installs itself.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PY := .venv/bin/python

.PHONY: help install run cluster test test-fast lint fmt bench bench-cluster fuzz load snapshots examples clean postgres fonts node

help:
	@echo "make run        install, start the whole system with a demo county (gateway :8000)"
	@echo "make cluster    the production topology on this machine: PostgreSQL, 3-node NATS (TLS,"
	@echo "                identities), two replicas of each service and gateway (:8000, :8001)"
	@echo "make test       install, run unit, API (SQLite + PostgreSQL), event and e2e tests"
	@echo "make lint       ruff check, ruff format --check, mypy (strict)"
	@echo "make bench      assessment, lottery, stored-run, status-read, audit cost, zone lookup, staffing, assistance, enrollment facts re-check, gateway and webhook benchmarks (medians, ratios)"
	@echo "make bench-cluster  province-scale figures, the production topology against the single"
	@echo "                node on this machine (JUNHENG_BENCH_SCALE; ~12 min at 1.0)"
	@echo "make fuzz       property-based fuzzing of every gateway operation, long run (JUNHENG_FUZZ_EXAMPLES)"
	@echo "make load       load profile through the gateway vs straight to the services (JUNHENG_LOAD_SECONDS)"
	@echo "make snapshots  refresh event-schema and OpenAPI snapshots after a reviewed change"
	@echo "make examples   record the services' API tests as their OpenAPI examples, then make snapshots"

$(UV):
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet --user uv || \
	  python3 -m pip install --quiet --break-system-packages --user uv

install: $(UV)
	@$(UV) sync --frozen --quiet

postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "installing PostgreSQL (Debian package)"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql; }

node:
	@command -v npm >/dev/null 2>&1 || { \
	  echo "installing Node.js and npm (Debian packages): tests/clients generates the TypeScript client"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm; }
	@test -x clients/node_modules/.bin/openapi-typescript || \
	  npm ci --prefix clients --cache var/npm-cache --no-audit --no-fund --loglevel=error

fonts:
	@{ fc-list 2>/dev/null | grep -qi "Noto Sans CJK" && ldconfig -p 2>/dev/null | grep -q libharfbuzz-subset; } || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Noto CJK fonts and HarfBuzz's subsetter for reports (Debian packages)"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q fonts-noto-cjk libharfbuzz-subset0; \
	  else echo "note: fonts-noto-cjk or libharfbuzz-subset0 is missing (apt-get install them as root): PDF reports need the font, and take ~4 s instead of ~0.3 s without the subsetter"; fi; }

run: install fonts
	@$(PY) -m junheng_devtools.make_run

cluster: install postgres fonts
	@$(PY) -m junheng_devtools.cluster

test: install postgres fonts node
	@$(PY) -m pytest -q

test-fast: install node
	@$(PY) -m pytest -q -m "not e2e"

lint: install
	@$(PY) -m ruff check .
	@$(PY) -m ruff format --check .
	@$(PY) -m mypy libs/kit/src libs/contracts/src services/enrollment/src \
	  services/staffing/src services/assistance/src services/evaluation/src gateway/src \
	  simulators/src devtools/src
	@$(PY) -m pip_audit --version >/dev/null && bash tests/security/audit.sh

fmt: install
	@$(PY) -m ruff check --fix .
	@$(PY) -m ruff format .

bench: install
	@command -v wrk >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; }
	@$(PY) benchmarks/evaluation_assessment.py
	@$(PY) benchmarks/lottery_assignment.py
	@$(PY) benchmarks/enrollment_stored_run.py
	@$(PY) benchmarks/enrollment_gateway.py
	@$(PY) benchmarks/status_reads.py
	@$(PY) benchmarks/audit_cost.py
	@$(PY) benchmarks/enrollment_import.py
	@$(PY) benchmarks/zone_lookup.py
	@$(PY) benchmarks/staffing_import.py
	@$(PY) benchmarks/staffing_quota_rotation.py
	@$(PY) benchmarks/assistance_lookup.py
	@$(PY) benchmarks/assistance_identification.py
	@$(PY) benchmarks/assistance_province_scan.py
	@$(PY) benchmarks/facts_recheck.py
	@$(PY) benchmarks/gateway_roundtrip.py
	@$(PY) benchmarks/webhook_delivery.py

bench-cluster: install postgres
	@command -v wrk >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; }
	@$(PY) benchmarks/cluster_province.py

fuzz: install
	@JUNHENG_FUZZ_EXAMPLES=$${JUNHENG_FUZZ_EXAMPLES:-200} $(PY) -m pytest -q tests/fuzz

load: install
	@$(PY) benchmarks/load_profile.py

snapshots: install
	@JUNHENG_UPDATE_SNAPSHOTS=1 $(PY) -m pytest -q libs/contracts/tests tests/snapshots

examples: install postgres
	@rm -rf var/examples
	@for s in enrollment staffing assistance evaluation; do \
	  JUNHENG_RECORD_EXAMPLES=var/examples $(PY) -m pytest -q -m "not e2e" services/$$s/tests || exit 1; done
	@$(PY) -m junheng_devtools.examples var/examples
	@JUNHENG_UPDATE_SNAPSHOTS=1 $(PY) -m pytest -q libs/contracts/tests tests/snapshots

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
