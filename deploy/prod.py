"""The production topology on one machine: `make prod` (``up``) and `make prod-down` (``down``).

    nginx :PROD_PORT ─┬─ /ws/  → WEB × uvicorn (ASGI, WebSockets)
                      ├─ /static/ from STATIC_ROOT
                      └─ rest  → WEB × granian (WSGI, HTTP, PROD_HTTP_THREADS threads)
    WORKERS × manage.py db_worker, the periodic-job scheduler, coturn (TURN REST secret)
    PostgreSQL (DATABASE_URL) and Redis (REDIS_URL) come from the environment.

Every process runs in its own session with a pid file and a log under the run dir (PROD_RUN_DIR,
default var/prod); ``down`` stops exactly the processes whose pid files it finds there. All ports,
counts and the run dir are environment variables, so a test can run a private copy (see
tests/prod/test_smoke.py). Usage: ``.venv/bin/python deploy/prod.py up|down|status``;
``nginx-production`` prints deploy/nginx/peerlearn.conf.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
NGINX_TEMPLATE = BASE_DIR / "deploy" / "nginx" / "site.conf.in"
PYTHON = sys.executable
VENV_BIN = Path(PYTHON).parent


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


@dataclass
class Topology:
    """Everything `up` starts, read from the environment (defaults in parentheses)."""

    run_dir: Path = field(
        default_factory=lambda: Path(os.environ.get("PROD_RUN_DIR") or BASE_DIR / "var" / "prod")
    )
    port: int = field(default_factory=lambda: env_int("PROD_PORT", 8080))
    web: int = field(default_factory=lambda: env_int("WEB", 2))
    workers: int = field(default_factory=lambda: env_int("WORKERS", 2))
    http_threads: int = field(default_factory=lambda: env_int("PROD_HTTP_THREADS", 4))
    ws_threads: int = field(default_factory=lambda: env_int("PROD_WS_THREADS", 8))
    seed: bool = field(default_factory=lambda: os.environ.get("PROD_SEED", "1") != "0")

    # Derived ports (each overridable): HTTP port+1.., WebSockets port+51.., TURN port+98,
    # TURN relays port+400..port+499.
    @property
    def http_ports(self) -> list[int]:
        base = env_int("PROD_HTTP_PORT_BASE", self.port + 1)
        return [base + i for i in range(self.web)]

    @property
    def ws_ports(self) -> list[int]:
        base = env_int("PROD_WS_PORT_BASE", self.port + 51)
        return [base + i for i in range(self.web)]

    @property
    def turn_port(self) -> int:
        return env_int("PROD_TURN_PORT", self.port + 98)

    @property
    def relay_ports(self) -> tuple[int, int]:
        low = env_int("PROD_TURN_RELAY_MIN", self.port + 400)
        return low, env_int("PROD_TURN_RELAY_MAX", low + 99)

    @property
    def pid_dir(self) -> Path:
        return self.run_dir / "pids"

    @property
    def log_dir(self) -> Path:
        return self.run_dir / "logs"

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"


# --- database connections -------------------------------------------------------------------
# Each process holds at most its pool's max_size connections; a worker also holds its liveness
# lock's connection (peerlearn.common.workers). The whole topology needs at most
#   WEB × (PROD_HTTP_THREADS + PROD_WS_THREADS) + WORKERS × (2 + 1) + 2 (a job, a manage.py)
# which must stay well under PostgreSQL's max_connections (100, shared with everything else).
# Defaults: 2 × (4 + 8) + 2 × 3 + 2 = 32. A WebSocket process's sockets use its pool's
# connections but two (peerlearn.common.realtime), so PROD_WS_THREADS is at least 3.
# docs/deployment.md has the same formula.
def pool_env(max_size: int) -> dict[str, str]:
    if os.environ.get("PROD_DB_POOL") == "0":  # for comparison: a connection per request
        return {"DB_POOL_MAX": "0"}
    return {"DB_POOL_MIN": "1", "DB_POOL_MAX": str(max_size), "DB_POOL_TIMEOUT": "10"}


def connection_budget(topology: Topology) -> int:
    return topology.web * (topology.http_threads + topology.ws_threads) + topology.workers * 3 + 2


# --- environment of every Django process ----------------------------------------------------
def read_or_create_secret(path: Path) -> str:
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def django_env(topology: Topology) -> dict[str, str]:
    run = topology.run_dir
    hosts = ["localhost", "127.0.0.1", "[::1]"]
    origins = [f"http://{h}:{topology.port}" for h in hosts]
    turn = f"127.0.0.1:{topology.turn_port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": read_or_create_secret(run / "secret_key"),
        "ALLOWED_HOSTS": ",".join(hosts),
        "CSRF_TRUSTED_ORIGINS": ",".join(origins),
        "SITE_URL": topology.url,
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback; real servers terminate TLS in nginx
        "PEERLEARN_VAR_DIR": os.environ.get("PEERLEARN_VAR_DIR") or str(run / "var"),
        "TURN_SECRET": read_or_create_secret(run / "turn_secret"),
        "TURN_URLS": f"turn:{turn}?transport=udp,turn:{turn}?transport=tcp",
        "STUN_URLS": f"stun:{turn}",
        "PROMETHEUS_MULTIPROC_DIR": str(run / "prometheus"),
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "json"),
        "PYTHONUNBUFFERED": "1",
        # The judge refuses to run code without a cgroup bounding each box (docs/judge.md).
        "PEERLEARN_JUDGE_REQUIRE_CGROUP": os.environ.get("PEERLEARN_JUDGE_REQUIRE_CGROUP", "1"),
    }
    return env


def require_services() -> None:
    missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
    if missing:
        sys.exit(
            f"prod: {' and '.join(missing)} must be set: the production topology runs on "
            "PostgreSQL and Redis, e.g.\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/peerlearn "
            "REDIS_URL=redis://127.0.0.1:6379/0 make prod"
        )
    if not os.environ["DATABASE_URL"].startswith(("postgres://", "postgresql://")):
        sys.exit("prod: DATABASE_URL must point at PostgreSQL (postgres://...)")
    for tool in ("nginx", "turnserver"):
        if not shutil.which(tool) and not Path(f"/usr/sbin/{tool}").exists():
            sys.exit(f"prod: {tool} is not installed (Debian: apt-get install nginx coturn)")


def settings_values(env: dict[str, str]) -> dict[str, str]:
    """STATIC_ROOT, MEDIA_ROOT and the upload limit as Django computes them for this env."""
    code = (
        "from django.conf import settings as s; "
        "print(s.STATIC_ROOT); print(s.MEDIA_ROOT); print(s.DATA_UPLOAD_MAX_MEMORY_SIZE)"
    )
    out = manage(env, "shell", "-v", "0", "-c", code, capture=True).split()
    return {"static_root": out[-3], "media_root": out[-2], "max_body": out[-1]}


def manage(env: dict[str, str], *args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        check=False,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    if result.returncode != 0:
        sys.exit(f"prod: manage.py {' '.join(args[:2])} failed ({result.returncode})")
    return result.stdout or ""


# --- nginx ----------------------------------------------------------------------------------
def render_site(
    *,
    http: list[str],
    ws: list[str],
    preamble: str,
    access_log: str,
    static_root: str,
    media_root: str,
    max_body: str,
) -> str:
    text = NGINX_TEMPLATE.read_text()
    for key, value in {
        "@HTTP_SERVERS@": "\n".join(f"    server {a} max_fails=1 fail_timeout=2s;" for a in http),
        "@WS_SERVERS@": "\n".join(f"    server {a} max_fails=1 fail_timeout=2s;" for a in ws),
        "@SERVER_PREAMBLE@": preamble.rstrip("\n"),
        "@ACCESS_LOG@": access_log,
        "@STATIC_ROOT@": static_root.rstrip("/"),
        "@MEDIA_ROOT@": media_root.rstrip("/"),
        "@MAX_BODY@": max_body,
    }.items():
        text = text.replace(key, value)
    return text


LOCAL_PREAMBLE = """\
server {{
    listen {listen}:{port};
    server_name localhost 127.0.0.1;
"""


def render_production() -> str:
    """deploy/nginx/peerlearn.conf: two web units (ports 8001-8002 HTTP, 8101-8102 WebSockets,
    the instance names of peerlearn-http@ / peerlearn-ws@); add a line per extra unit."""
    return render_site(
        http=["127.0.0.1:8001", "127.0.0.1:8002"],
        ws=["127.0.0.1:8101", "127.0.0.1:8102"],
        preamble=(BASE_DIR / "deploy" / "nginx" / "tls-server.conf.in").read_text(),
        access_log="/var/log/nginx/peerlearn.access.log",
        static_root="/var/lib/peerlearn/staticfiles",
        media_root="/var/lib/peerlearn/media",
        # settings.DATA_UPLOAD_MAX_MEMORY_SIZE: MAX_UPLOAD_BYTES (10 MiB) + 1 MiB
        max_body="11534336",
    )


def write_nginx_conf(topology: Topology, values: dict[str, str]) -> Path:
    run = topology.run_dir
    temp = run / "nginx"
    temp.mkdir(parents=True, exist_ok=True)
    user = ""
    if os.geteuid() == 0:  # nginx's workers drop to nobody; let them write their temp files
        user = "user nobody nogroup;"
        for sub in ("body", "proxy"):
            (temp / sub).mkdir(exist_ok=True)
            shutil.chown(temp / sub, "nobody", "nogroup")
    site = render_site(
        http=[f"127.0.0.1:{p}" for p in topology.http_ports],
        ws=[f"127.0.0.1:{p}" for p in topology.ws_ports],
        preamble=LOCAL_PREAMBLE.format(
            listen=os.environ.get("PROD_LISTEN", "127.0.0.1"), port=topology.port
        ),
        access_log=str(topology.log_dir / "nginx-access.log"),
        static_root=values["static_root"],
        media_root=values["media_root"],
        max_body=values["max_body"],
    )
    conf = run / "nginx.conf"
    conf.write_text(
        f"""# Generated by deploy/prod.py from deploy/nginx/site.conf.in; rewritten on every `up`.
{user}
worker_processes 1;
worker_rlimit_nofile 16384;
pid {run / "pids" / "nginx-master.pid"};
error_log {topology.log_dir / "nginx-error.log"} warn;
events {{ worker_connections 8192; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    server_tokens off;
    client_body_temp_path {temp / "body"};
    proxy_temp_path {temp / "proxy"};
    fastcgi_temp_path {temp / "fastcgi"};
    uwsgi_temp_path {temp / "uwsgi"};
    scgi_temp_path {temp / "scgi"};
{site}
}}
"""
    )
    return conf


# --- processes ------------------------------------------------------------------------------
def start(topology: Topology, name: str, command: list[str], env: dict[str, str]) -> None:
    log = (topology.log_dir / f"{name}.log").open("ab")
    process = subprocess.Popen(
        command,
        cwd=BASE_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: `down` stops it and its children
    )
    (topology.pid_dir / f"{name}.pid").write_text(str(process.pid))


Process = tuple[str, list[str], dict[str, str]]


def processes(topology: Topology, env: dict[str, str]) -> list[Process]:
    """(name, command, environment) of every long-running process, in start order."""
    low, high = topology.relay_ports
    run = topology.run_dir
    found: list[Process] = [
        (
            "coturn",
            [
                shutil.which("turnserver") or "/usr/bin/turnserver",
                "-n",
                f"--listening-port={topology.turn_port}",
                "--listening-ip=127.0.0.1",
                "--relay-ip=127.0.0.1",
                f"--min-port={low}",
                f"--max-port={high}",
                "--use-auth-secret",
                f"--static-auth-secret={env['TURN_SECRET']}",
                "--realm=peerlearn.local",
                "--fingerprint",
                "--no-tls",
                "--no-dtls",
                "--no-cli",
                "--allow-loopback-peers",  # local only: the peers are browsers on this machine
                "--no-multicast-peers",
                f"--userdb={run / 'turndb'}",
                f"--pidfile={run / 'turnserver.pid'}",
                "--log-file=stdout",
                "--simple-log",
            ],
            env,
        )
    ]
    ports = zip(topology.http_ports, topology.ws_ports, strict=True)
    for i, (http_port, ws_port) in enumerate(ports):
        found.append(
            (
                f"http-{i + 1}",
                [
                    str(VENV_BIN / "granian"),
                    "--interface=wsgi",
                    "--host=127.0.0.1",
                    f"--port={http_port}",
                    "--workers=1",
                    f"--blocking-threads={topology.http_threads}",
                    "--no-access-log",  # nginx writes the access log
                    "config.wsgi:application",
                ],
                {**env, **pool_env(topology.http_threads)},
            )
        )
        found.append(
            (
                f"ws-{i + 1}",
                [
                    str(VENV_BIN / "uvicorn"),
                    "config.asgi:application",
                    "--host=127.0.0.1",
                    f"--port={ws_port}",
                    "--lifespan=off",
                    "--no-access-log",
                    "--timeout-graceful-shutdown=5",
                ],
                {
                    **env,
                    **pool_env(topology.ws_threads),
                    "ASGI_THREADS": str(topology.ws_threads),
                    "WARM_UP": "0",  # no tutor index in a WebSocket-only process
                },
            )
        )
    for i in range(topology.workers):
        found.append(
            (
                f"worker-{i + 1}",
                [PYTHON, "manage.py", "task_worker", "--no-reload", f"--worker-id=prod-{i + 1}"],
                {**env, **pool_env(2)},
            )
        )
    scheduler = [PYTHON, "manage.py", "periodic_jobs", "--run"]
    found.append(("scheduler", scheduler, {**env, **pool_env(0)}))
    found.append(
        (
            "nginx",
            [
                shutil.which("nginx") or "/usr/sbin/nginx",
                "-c",
                str(run / "nginx.conf"),
                "-g",
                "daemon off;",
            ],
            env,
        )
    )
    return found


def running(topology: Topology) -> dict[str, int]:
    """Processes of this run dir that are alive, by name (stale pid files are removed)."""
    alive: dict[str, int] = {}
    if not topology.pid_dir.is_dir():
        return alive
    for pid_file in sorted(topology.pid_dir.glob("*.pid")):
        if pid_file.name == "nginx-master.pid":
            continue  # nginx's own copy; we track the process we started
        pid = int(pid_file.read_text().strip() or 0)
        try:
            os.kill(pid, 0)
        except (ProcessLookupError, PermissionError):
            pid_file.unlink()
            continue
        alive[pid_file.stem] = pid
    return alive


def stop(topology: Topology) -> None:
    alive = running(topology)
    for pid in alive.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)  # the session leader's group = it and its children
    deadline = time.monotonic() + 15
    while alive and time.monotonic() < deadline:
        alive = {n: p for n, p in alive.items() if group_alive(p)}
        time.sleep(0.2)
    for name, pid in alive.items():
        print(f"prod: {name} ({pid}) ignored SIGTERM; killing it")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    for pid_file in topology.pid_dir.glob("*.pid") if topology.pid_dir.is_dir() else []:
        pid_file.unlink()


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    # A zombie leader (our own child, not yet reaped) counts as gone.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pgid, os.WNOHANG)
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_ready(topology: Topology, timeout: float = 90) -> None:
    """Until /readyz answers 200 from every HTTP process (each warms its own tutor index) and
    then through nginx."""
    deadline = time.monotonic() + timeout
    last = ""
    waiting = [f"http://127.0.0.1:{port}/readyz" for port in topology.http_ports]
    waiting.append(f"http://127.0.0.1:{topology.port}/readyz")
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(waiting[0], timeout=5) as r:  # noqa: S310 (loopback)
                if r.status == 200:
                    waiting.pop(0)
                    if not waiting:
                        return
                    continue
        except urllib.error.HTTPError as exc:
            last = exc.read().decode(errors="replace")
        except OSError as exc:
            last = str(exc)
        dead = [
            name
            for name, _, _ in processes(topology, {"TURN_SECRET": ""})
            if name not in running(topology)
        ]
        if dead:
            for name in dead:
                log = topology.log_dir / f"{name}.log"
                tail = log.read_text(errors="replace")[-1500:] if log.exists() else ""
                print(f"--- {name} exited; end of {log}:\n{tail}", file=sys.stderr)
            stop(topology)
            sys.exit(f"prod: {', '.join(dead)} did not start")
        time.sleep(0.5)
    stop(topology)
    sys.exit(f"prod: /readyz did not answer 200 within {timeout:.0f}s: {last}")


def port_taken(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


# --- commands -------------------------------------------------------------------------------
def up(topology: Topology) -> None:
    require_services()
    if running(topology):
        print("prod: already running; restarting it")
        stop(topology)
    ports = [topology.port, *topology.http_ports, *topology.ws_ports, topology.turn_port]
    taken = [p for p in ports if port_taken(p)]
    if taken:
        sys.exit(f"prod: ports already in use: {taken} (set PROD_PORT to move them all)")
    for folder in (topology.run_dir, topology.pid_dir, topology.log_dir):
        folder.mkdir(parents=True, exist_ok=True)
    prometheus = topology.run_dir / "prometheus"
    shutil.rmtree(prometheus, ignore_errors=True)  # multiprocess metrics start from zero
    prometheus.mkdir()

    env = django_env(topology)
    budget = connection_budget(topology)
    print(f"prod: at most {budget} PostgreSQL connections (see the formula in deploy/prod.py)")
    manage({**env, **pool_env(1)}, "migrate", "--noinput", "-v", "0")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    empty = (
        subprocess.run(
            [
                PYTHON,
                "manage.py",
                "shell",
                "-v",
                "0",
                "-c",
                "import sys; from peerlearn.accounts.models import User; "
                "sys.exit(0 if User.objects.exists() else 3)",
            ],
            cwd=BASE_DIR,
            env=env,
            check=False,
        ).returncode
        == 3
    )
    if empty and topology.seed:
        print("prod: empty database; seeding the demo data")
        manage(env, "seed_demo")
        manage(env, "import_problems")
        manage(env, "seed_forum", "--demo")
    write_nginx_conf(topology, settings_values(env))

    for name, command, process_env in processes(topology, env):
        start(topology, name, command, process_env)
    wait_ready(topology)
    print(
        f"""
  PeerLearn (production topology) is up at {topology.url}
    nginx :{topology.port} → HTTP (WSGI) {topology.http_ports}
                   WebSockets (ASGI) {topology.ws_ports}
    {topology.workers} task workers, the periodic-job scheduler, coturn on :{topology.turn_port}
    readiness {topology.url}/readyz   metrics {topology.url}/metrics (loopback only)
    logs and pids in {topology.run_dir}; stop it with `make prod-down`
"""
    )


def status(topology: Topology) -> None:
    alive = running(topology)
    for name, _, _ in processes(topology, {"TURN_SECRET": ""}):
        print(f"{name:12} {'pid ' + str(alive[name]) if name in alive else 'stopped'}")


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else "up"
    topology = Topology()
    if command == "up":
        up(topology)
    elif command == "down":
        stop(topology)
        print(f"prod: stopped everything started from {topology.run_dir}")
    elif command == "status":
        status(topology)
    elif command == "nginx-production":
        sys.stdout.write(render_production())
    else:
        sys.exit("usage: deploy/prod.py up|down|status|nginx-production")


if __name__ == "__main__":
    main()
