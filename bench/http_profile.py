"""Where one HTTP request's time goes: the project's WSGI application called in a loop, in process
(no server, no network), under cProfile; then the SQL and cache calls of a single request.

Run on the data set ``bench/http.py --keep-db`` left behind (same DATABASE_URL and REDIS_URL):

    DATABASE_URL=postgres://…/peerlearn REDIS_URL=redis://… \\
        .venv/bin/python bench/http_profile.py \\
        /api/v1/notifications [--auth jwt|cookie|none] [-n 500] [--top 25] [--sort tottime]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)  # not bench/: http.py there would shadow the stdlib's http
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--auth", choices=["jwt", "cookie", "none"], default="jwt")
    parser.add_argument("-n", type=int, default=500)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tottime")
    args = parser.parse_args()

    database_url = os.environ["DATABASE_URL"]
    parts = urlsplit(database_url)
    os.environ["DATABASE_URL"] = parts._replace(path=parts.path + "_httpbench").geturl()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "0",
            "SECRET_KEY": "bench-http-" + "x" * 50,
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            "DB_CONN_MAX_AGE": "600",
            "API_RATE_LIMIT_PER_MINUTE": "1000000",
            "JWT_ACCESS_TTL_SECONDS": "3600",
        }
    )
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.wsgi import get_wsgi_application
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench._http_seed import sign_in

    client = sign_in(clients=1)[0]
    application = get_wsgi_application()
    path, _, query = args.path.partition("?")
    base: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_X_FORWARDED_PROTO": "https",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if args.auth == "jwt":
        base["HTTP_AUTHORIZATION"] = f"Bearer {client.access_token}"
    elif args.auth == "cookie":
        base["HTTP_COOKIE"] = f"sessionid={client.session_cookie}"
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        statuses.append(status)
        return lambda data: None

    def one() -> bytes:
        response = application(dict(base, **{"wsgi.input": io.BytesIO(b"")}), start_response)
        try:
            return b"".join(response)
        finally:
            getattr(response, "close", lambda: None)()

    for _ in range(20):
        one()  # warm: connections, caches, lazy imports
    body = one()
    print(f"{statuses[-1]}; {len(body)} bytes")

    began, began_cpu = time.perf_counter(), time.process_time()
    for _ in range(args.n):
        one()
    elapsed, cpu = time.perf_counter() - began, time.process_time() - began_cpu
    print(
        f"{args.n / elapsed:.0f} req/s in process: {elapsed / args.n * 1000:.2f} ms a request, "
        f"of which {cpu / args.n * 1000:.2f} ms this process's CPU (the rest: waiting on "
        "PostgreSQL and Redis, which other threads overlap in a server)"
    )

    # Profiled in CPU time: what the GIL serializes, without the waits.
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(args.n):
        one()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())

    calls: list[str] = []
    real_get, real_set = cache.get, cache.set

    def traced_get(key: str, *a: Any, **kw: Any) -> Any:
        calls.append(f"cache.get {key}")
        return real_get(key, *a, **kw)

    def traced_set(key: str, *a: Any, **kw: Any) -> Any:
        calls.append(f"cache.set {key}")
        return real_set(key, *a, **kw)

    cache.get, cache.set = traced_get, traced_set  # type: ignore[method-assign]
    with CaptureQueriesContext(connection) as queries:
        one()
    cache.get, cache.set = real_get, real_set  # type: ignore[method-assign]
    print(f"{len(queries.captured_queries)} queries:")
    for q in queries.captured_queries:
        print(f"  {q['time']}s  {q['sql'][:300]}")
    print(f"{len(calls)} traced default-cache calls: {calls}")
    statuses_seen = {s for s in statuses}
    print(f"statuses seen: {statuses_seen}")


if __name__ == "__main__":
    main()
