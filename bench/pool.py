"""No load makes PostgreSQL refuse a client: 0 responses >= 500 at 256 concurrent connections
through nginx (issue 13, item 3), with the per-process connection pools of deploy/prod.py.

Run against a running `make prod` (API rate limits out of the way, see below):

    API_RATE_LIMIT_PER_MINUTE=100000000 DATABASE_URL=... REDIS_URL=... make prod
    .venv/bin/python bench/pool.py [--base http://localhost:8080] [--connections 256]
        [--seconds 15] [--access-log var/prod/logs/nginx-access.log]

For each URL, `wrk -c256 -t2` as the signed-in demo learner: wrk's count of non-2xx/3xx
responses and, from nginx's JSON access log, every status of the run (so a 5xx cannot hide in
wrk's total). Baseline in the same run: /healthz (no database query) — its requests/s, and each
URL's requests/s as a ratio of it. The result to check is the `>=500` column: it must be 0.
The rate limit: the API allows API_RATE_LIMIT_PER_MINUTE requests per user (600); one signed-in
user at 256 connections would mostly get 429s, which measure nothing, so raise it for the run.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)

from bench._prod import login  # noqa: E402

URLS = [
    ("/healthz", "baseline: no database"),
    ("/api/v1/forum/threads", "authenticated API list"),
    ("/api/v1/notifications", "authenticated API list"),
    ("/discussions/", "page"),
]


def wrk(url: str, cookie: str, connections: int, seconds: int) -> tuple[int, float, int]:
    """(requests, requests/s, non-2xx/3xx) from one wrk run."""
    out = subprocess.run(
        [
            "wrk",
            f"-c{connections}",
            "-t2",
            f"-d{seconds}s",
            "--timeout=30s",
            "-H",
            f"Cookie: {cookie}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return total, rate, int(bad.group(1)) if bad else 0


def statuses_since(log: Path, offset: int, path: str) -> collections.Counter[int]:
    counts: collections.Counter[int] = collections.Counter()
    with log.open("rb") as f:
        f.seek(offset)
        for line in f:
            entry = json.loads(line)
            if entry["uri"] == path:
                counts[int(entry["status"])] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://localhost:8080")
    parser.add_argument("--connections", type=int, default=256)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--access-log", default=str(ROOT / "var/prod/logs/nginx-access.log"))
    args = parser.parse_args()

    cookies = login(args.base, "learner@peerlearn.test")
    cookie = f"sessionid={cookies['sessionid']}"
    log = Path(args.access_log)
    print(f"wrk -c{args.connections} -t2 -d{args.seconds}s through nginx at {args.base}")
    head = f"{'url':28} {'requests':>9} {'req/s':>8} {'× base':>7} {'non-2xx':>8} {'>=500':>6}"
    print(f"{head}  statuses")
    baseline = 0.0
    failed = 0
    for path, _ in URLS:
        offset = log.stat().st_size
        total, rate, non_2xx = wrk(args.base + path, cookie, args.connections, args.seconds)
        baseline = baseline or rate
        statuses = statuses_since(log, offset, path)
        server_errors = sum(n for status, n in statuses.items() if status >= 500)
        failed += server_errors
        shown = " ".join(f"{s}:{n}" for s, n in sorted(statuses.items()))
        print(
            f"{path:28} {total:9d} {rate:8.0f} {rate / baseline:7.2f} {non_2xx:8d} "
            f"{server_errors:6d}  {shown}"
        )
    print("PASS: no response >= 500" if not failed else f"FAIL: {failed} responses >= 500")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
