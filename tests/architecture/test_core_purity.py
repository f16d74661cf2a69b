"""The core is pure: importing it loads no UI, camera, network or database module,
and its source reads no clock and opens no file."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "kiosk" / "core"
FORBIDDEN_MODULES = ["textual", "cv2", "requests", "sqlite3", "zxingcpp", "kiosk.adapters", "kiosk.ui",
                     "kiosk.service", "fastapi", "uvicorn", "socket", "urllib.request"]  # fmt: skip


def test_importing_the_core_loads_no_shell_module() -> None:
    modules = sorted(p.stem for p in CORE.glob("*.py") if p.stem != "__init__")
    code = (
        "import sys\n"
        + "".join(f"import kiosk.core.{m}\n" for m in modules)
        + f"bad = [m for m in {FORBIDDEN_MODULES!r} if m in sys.modules]\n"
        + "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "", f"the core imported: {result.stdout.strip()}"


CLOCK_CALLS = {("time", "time"), ("time", "monotonic"), ("time", "time_ns"), ("datetime", "now"),
               ("datetime", "utcnow"), ("date", "today"), ("os", "urandom")}  # fmt: skip
IO_NAMES = {"open", "print", "input"}


def test_core_source_reads_no_clock_and_does_no_io() -> None:
    problems = []
    for path in sorted(CORE.glob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                f = node.func
                if isinstance(f, ast.Name) and f.id in IO_NAMES:
                    problems.append(f"{path.name}:{node.lineno} calls {f.id}()")
                if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name | ast.Attribute):
                    owner = f.value.id if isinstance(f.value, ast.Name) else f.value.attr
                    if (owner, f.attr) in CLOCK_CALLS:
                        problems.append(f"{path.name}:{node.lineno} calls {owner}.{f.attr}()")
                    if f.attr in {"read_text", "read_bytes", "write_text", "write_bytes"}:
                        problems.append(f"{path.name}:{node.lineno} calls .{f.attr}()")
    assert problems == []


def test_import_contracts_hold() -> None:
    """The import-linter contracts in pyproject.toml (core pure, UI without adapters)."""
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint)], capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
