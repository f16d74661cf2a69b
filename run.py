#!/usr/bin/env python3
"""Set up the project's virtual environment and run one of its jobs.

    python3 run.py demo      # set up, then run the demo
    python3 run.py test      # set up, then run the whole test suite (and the linters)
    python3 run.py kiosk ...         # set up, then run a kiosk command (kiosk --help)
    python3 run.py server-stub ...   # set up, then run a server-stub command
    python3 run.py setup     # only set up .venv (then .venv/bin/kiosk, .venv/bin/server-stub)
    python3 run.py lint      # set up, then the linters alone

Needs only Python 3.11+ and git.  The environment lives in ``.venv``, pinned to
the versions in ``constraints.txt``, and is reinstalled only when
``pyproject.toml`` or ``constraints.txt`` changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed-from"


def ensure_env() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - run.py itself may be started by an older Python
        sys.exit(f"run.py: Python 3.11 or newer is needed, this is {sys.version.split()[0]}")
    want = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + (ROOT / "constraints.txt").read_bytes()
    ).hexdigest()
    if PY.exists() and STAMP.exists() and STAMP.read_text() == want:
        return
    if not PY.exists():
        print("run.py: creating .venv", flush=True)
        try:
            venv.EnvBuilder(with_pip=True).create(VENV)
        except (OSError, subprocess.CalledProcessError) as exc:
            sys.exit(
                f"run.py: cannot create .venv ({exc}); this Python lacks venv/ensurepip "
                "(on Debian or Ubuntu: apt-get install python3-venv)"
            )
    print("run.py: installing the project and its dev tools into .venv", flush=True)
    pip = [str(PY), "-m", "pip", "--disable-pip-version-check", "-q"]
    constraints = str(ROOT / "constraints.txt")
    for step in (
        ["install", "--upgrade", "pip"],
        ["install", "-c", constraints, "-e", f"{ROOT}[dev]"],
    ):
        if subprocess.run([*pip, *step], check=False).returncode:
            sys.exit(f"run.py: 'pip {' '.join(step)}' failed (see above); nothing was run")
    STAMP.write_text(want)


def run(cmd: list[str], cwd: Path | None = ROOT) -> int:
    """Run ``cmd`` with the environment's tools first on PATH (``cwd=None``: the caller's)."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTHONPATH", None)
    try:
        return subprocess.run(cmd, cwd=cwd, env=env, check=False).returncode
    except KeyboardInterrupt:
        return 130


def main(argv: list[str]) -> int:
    job = argv[0] if argv else ""
    rest = argv[1:]
    if job not in {"demo", "test", "lint", "setup", "kiosk", "server-stub"}:
        print(__doc__)
        return 2
    ensure_env()
    if job == "setup":
        return 0
    if job == "demo":
        return run([str(BIN / "kiosk-demo"), *rest])
    if job in ("kiosk", "server-stub"):
        return run([str(BIN / job), *rest], cwd=None)  # paths as the caller typed them
    if job == "lint":
        return lint()
    code = lint()
    if code:
        return code
    workers = [] if any(a.startswith(("-n", "--numprocesses", "-p")) for a in rest) else ["-n", "2"]
    return run([str(PY), "-m", "pytest", *workers, *rest])


def lint() -> int:
    for cmd in (
        [str(PY), "-m", "ruff", "check", "."],
        [str(PY), "-m", "ruff", "format", "--check", "."],
        [str(PY), "-m", "mypy"],
        [str(BIN / "lint-imports")],
    ):
        code = run(cmd)
        if code:
            print(f"run.py: {' '.join(Path(c).name for c in cmd[:3])} failed", file=sys.stderr)
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
