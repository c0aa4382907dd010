"""The committed deploy files are what their sources generate, and nginx accepts them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import require
from peerlearn.common.management.commands.periodic_jobs import systemd_units
from peerlearn.common.periodic import JOBS

ROOT = Path(__file__).resolve().parents[2]
SYSTEMD = ROOT / "deploy" / "systemd"


def test_every_periodic_job_has_its_committed_service_and_timer() -> None:
    expected: dict[str, str] = {}
    for job in JOBS:
        expected |= systemd_units(job)
    for name, text in expected.items():
        assert (SYSTEMD / name).read_text() == text, (
            f"{name} is stale: run `manage.py periodic_jobs --systemd deploy/systemd`"
        )
    generated = {p.name for p in SYSTEMD.glob("peerlearn-*.timer")}
    assert generated == {n for n in expected if n.endswith(".timer")}


def test_the_production_nginx_site_is_rendered_from_the_template() -> None:
    rendered = subprocess.run(
        [sys.executable, "deploy/prod.py", "nginx-production"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert (ROOT / "deploy/nginx/peerlearn.conf").read_text() == rendered, (
        "deploy/nginx/peerlearn.conf is stale: run `deploy/prod.py nginx-production > "
        "deploy/nginx/peerlearn.conf`"
    )
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in rendered
    assert "Strict-Transport-Security" in rendered


def test_nginx_accepts_the_production_site(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    require(Path(nginx).exists(), "nginx")
    # The site as installed, minus the certificate files this machine does not have.
    site = (ROOT / "deploy/nginx/peerlearn.conf").read_text()
    site = "\n".join(
        line
        for line in site.splitlines()
        if not line.strip().startswith(("ssl_certificate", "ssl_stapling"))
    )
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        "events {}\n"
        f"http {{\n include /etc/nginx/mime.types;\n include {tmp_path}/site.conf;\n}}\n"
    )
    result = subprocess.run(
        [nginx, "-t", "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        check=False,
    )
    # Without certificates nginx stops at the TLS server ("no ssl_certificate"), after parsing.
    assert "syntax is ok" in result.stderr or 'no "ssl_certificate"' in result.stderr, result.stderr
