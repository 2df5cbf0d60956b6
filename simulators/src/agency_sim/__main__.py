"""`python -m agency_sim --agency mca --port 0 --region 150602 --key-file K --trust-key-file T`

Runs one agency's simulator as its own process (real HTTP). The first line on stdout is
`agency_sim <agency> listening on http://HOST:PORT` (and `--port-file` receives the port).
`python -m agency_sim config …` writes the agencies file the assistance service reads.
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

from agency_sim.app import NAMES, AgencyState, create_app
from agency_sim.registry import AGENCY_CATEGORIES, Registry, generate, load_csv
from junheng_kit.signing import ensure_private_key
from junheng_kit.timeutil import china_today


def _serve(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m agency_sim", description=__doc__)
    parser.add_argument("--agency", required=True, choices=sorted(AGENCY_CATEGORIES))
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
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    port = sock.getsockname()[1]
    if args.port_file:
        args.port_file.write_text(str(port))
    print(f"agency_sim {args.agency} listening on http://{args.host}:{port}", flush=True)
    config = uvicorn.Config(create_app(state), log_level="warning", access_log=False)
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
        out.append(
            {
                "code": code,
                "name": NAMES[code],
                "base_url": base_url,
                "public_key": signer.public_key_text,
                "categories": list(AGENCY_CATEGORIES[code]),
                "timeout_seconds": args.timeout_seconds,
            }
        )
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
