"""A real Acompaña server for tests and benchmarks: a fresh instance, migrated and seeded, under gunicorn."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def instance_env(instance: Path, database_url: str, secret_key: str = "e2e-secret-key-not-for-production") -> dict[str, str]:
    """The environment the app reads its configuration from, pointed at one throwaway instance."""
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "FLASK_APP")}
    env.update(ACOMPANA_INSTANCE=str(instance), DATABASE_URL=database_url, SECRET_KEY=secret_key, PYTHONUNBUFFERED="1")
    return env


def flask_command(args: list[str], env: dict[str, str]) -> None:
    """Run `flask --app wsgi ...` and fail loudly with its output if it does not succeed."""
    result = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        output = (result.stdout + "\n" + result.stderr).strip()
        raise RuntimeError(f"flask {' '.join(args)} failed ({result.returncode}):\n...{output[-3000:]}")


def prepare_demo_database(instance: Path, database_url: str | None = None) -> dict[str, str]:
    """Create the instance folder, migrate the database, load the course packs and the demo organisation.

    Same order as `make run`: the packs first, so seed-demo gives PM+ to the demo cohort (in Spanish)
    with some lessons done.
    """
    instance.mkdir(parents=True, exist_ok=True)
    env = instance_env(instance, database_url or f"sqlite:///{instance / 'acompana.db'}")
    flask_command(["db", "upgrade"], env)
    flask_command(["content", "sync"], env)
    flask_command(["seed-demo"], env)
    return env


@lru_cache(maxsize=1)
def gunicorn_extra_args() -> tuple[str, ...]:
    """Newer gunicorns open a control socket at one fixed path; several servers at once must not share it."""
    help_text = subprocess.run([str(BIN / "gunicorn"), "--help"], capture_output=True, text=True).stdout
    return ("--no-control-socket",) if "--no-control-socket" in help_text else ()


@dataclass
class Server:
    """A gunicorn process serving one WSGI app on a local port; stop() ends it and its workers."""

    app: str
    env: dict[str, str]
    log_path: Path
    workers: int = 2
    ready_path: str = "/healthz"
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> "Server":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", str(self.workers), "--worker-class", "sync",
             "--bind", f"127.0.0.1:{self.port}", "--error-logfile", "-", *gunicorn_extra_args(), self.app],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn {self.app} exited ({self.process.returncode}):\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + self.ready_path, timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn {self.app} did not answer {self.ready_path} within {timeout:.0f}s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return "(no log)"

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
