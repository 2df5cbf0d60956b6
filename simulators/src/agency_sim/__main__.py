"""`python -m agency_sim --agency mca --port 0 --region 150602 --key-file K --trust-key-file T`

Runs one agency's simulator as its own process (real HTTP). The first line on stdout is
`agency_sim <agency> listening on http://HOST:PORT` (and `--port-file` receives the port).
`--agency hukou|permit|estate|social` runs an enrollment source (户籍, 居住证, 不动产登记, 社保).
`python -m agency_sim config …` writes the agencies file assistance (aid agencies) or enrollment
(the four sources) reads.
"""

from __future__ import annotations

import argparse
import json
import logging
import socket
import sys
from datetime import date
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from agency_sim.app import NAMES, AgencyState, create_app
from agency_sim.facts_app import FactsState, create_facts_app
from agency_sim.facts_registry import FACT_AGENCIES, generate_people, load_people
from agency_sim.registry import AGENCY_CATEGORIES, Registry, generate, load_csv
from junheng_kit.signing import ensure_private_key
from junheng_kit.timeutil import china_today


def _serve(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m agency_sim", description=__doc__)
    parser.add_argument(
        "--agency", required=True, choices=sorted([*AGENCY_CATEGORIES, *FACT_AGENCIES])
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = a free port")
    parser.add_argument("--port-file", type=Path)
    parser.add_argument("--region", default="150602", help="GB/T 2260 code of the registry")
    parser.add_argument("--key-file", type=Path, required=True, help="agency key (made if absent)")
    parser.add_argument(
        "--trust-key-file", type=Path, required=True, help="the bureau's key (PEM or base64url)"
    )
    parser.add_argument("--registry", type=Path, help="CSV of people to plant or consider")
    parser.add_argument("--share", type=float, default=0.15, help="share of CSV candidates held")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--size", type=int, default=500, help="generated people")
    parser.add_argument(
        "--categories", help="comma-separated category codes (default: the agency's usual)"
    )
    parser.add_argument("--today", type=date.fromisoformat, help="fix the date (tests)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    categories = tuple(args.categories.split(",")) if args.categories else None
    today = args.today or china_today()
    if args.agency in FACT_AGENCIES:
        _listen(args, create_facts_app(_facts_state(args, today)))
        return
    holdings = generate(
        args.agency, args.region, seed=args.seed, size=args.size, today=today, categories=categories
    )
    if args.registry:
        holdings += load_csv(
            args.registry,
            args.agency,
            args.region,
            seed=args.seed,
            today=today,
            share=args.share,
            categories=categories,
        )
    state = AgencyState(
        agency=args.agency,
        signer=ensure_private_key(args.key_file),
        trust_key_file=args.trust_key_file,
        registry=Registry(holdings),
    )
    if args.today:
        fixed: date = args.today
        state.today = lambda: fixed
    _listen(args, create_app(state))


def _facts_state(args: argparse.Namespace, today: date) -> FactsState:
    """An enrollment source (户籍, 居住证, 不动产登记, 社保): generated people and the CSV's."""
    people = generate_people(args.region, seed=args.seed, size=args.size, today=today)
    if args.registry:
        people += load_people(args.registry, args.region, seed=args.seed, today=today)
    return FactsState(
        agency=args.agency,
        signer=ensure_private_key(args.key_file),
        trust_key_file=args.trust_key_file,
        registry=Registry([]),
        people_by_id={p.citizen_id: p for p in people},
    )


def _listen(args: argparse.Namespace, app: FastAPI) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    port = sock.getsockname()[1]
    if args.port_file:
        args.port_file.write_text(str(port))
    print(f"agency_sim {args.agency} listening on http://{args.host}:{port}", flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


def _config(argv: list[str]) -> None:
    """Write the assistance service's agencies file from the simulators' key files."""
    parser = argparse.ArgumentParser(prog="python -m agency_sim config")
    parser.add_argument("--key-dir", type=Path, required=True, help="holds <agency>.pem")
    parser.add_argument(
        "--agency", action="append", required=True, help="code=base_url, e.g. mca=http://…:8201"
    )
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--timeout-seconds", type=float, default=2.0)
    args = parser.parse_args(argv)
    out = []
    for item in args.agency:
        code, _, base_url = item.partition("=")
        signer = ensure_private_key(args.key_dir / f"{code}.pem")
        entry = {
            "code": code,
            "name": NAMES.get(code) or FACT_AGENCIES[code],
            "base_url": base_url,
            "public_key": signer.public_key_text,
            "timeout_seconds": args.timeout_seconds,
        }
        if code in AGENCY_CATEGORIES:  # an aid agency (assistance's file)
            entry["categories"] = list(AGENCY_CATEGORIES[code])
        out.append(entry)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["config"]:
        _config(argv[1:])
    else:
        _serve(argv)


if __name__ == "__main__":
    main()
