"""No test asserts a wall-clock duration.

CI shares two cores with other work: "took < N s" fails under load and "took
>= N s" tests the machine, not the kiosk.  Tests check the property instead
(order, outcome, an injected clock, an awaited event); speed is measured by the
scripts under ``bench/``.  This test reads every test module and fails on an
``assert`` that uses a duration clock (``time.monotonic``, ``time.perf_counter``,
their ``_ns`` forms, ``time.process_time``), directly or through a variable
computed from one.  Bounded waits (``while time.monotonic() < deadline``) stay
allowed: they end a wait, they do not judge how long it took.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
DURATION_CLOCKS = {
    "monotonic",
    "monotonic_ns",
    "perf_counter",
    "perf_counter_ns",
    "process_time",
    "thread_time",
}


def _reads_clock(node: ast.AST, tainted: set[str]) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            func = sub.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in DURATION_CLOCKS:
                return True
        if isinstance(sub, ast.Name) and sub.id in tainted:
            return True
    return False


def _tainted_names(tree: ast.AST) -> set[str]:
    """Names assigned from a duration clock, followed through later assignments."""
    tainted: set[str] = set()
    changed = True
    while changed:
        changed = False
        for node in ast.walk(tree):
            targets: list[ast.expr] = []
            value: ast.AST | None = None
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.AugAssign | ast.AnnAssign) and node.value is not None:
                targets, value = [node.target], node.value
            if value is None or not _reads_clock(value, tainted):
                continue
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name) and name.id not in tainted:
                        tainted.add(name.id)
                        changed = True
    return tainted


def wall_clock_assertions(source: str) -> list[int]:
    tree = ast.parse(source)
    tainted = _tainted_names(tree)
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Assert) and _reads_clock(node.test, tainted)
    ]


def test_no_test_asserts_a_wall_clock_duration() -> None:
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        for line in wall_clock_assertions(path.read_text("utf-8")):
            found.append(f"{path.relative_to(TESTS.parent)}:{line}")
    assert not found, "assertions on a measured duration: " + ", ".join(found)


def test_the_check_finds_direct_and_indirect_durations() -> None:
    clock = "time." + "monotonic()"  # built, so that no grep for a timed assert finds this file
    direct = f"import time\nstart = {clock}\nassert {clock} - start < 2.0\n"
    indirect = (
        "import time\nt0 = time.perf_counter()\nelapsed = time.perf_counter() - t0\n"
        "assert elapsed >= 0.14\n"
    )
    waiting = (
        "import time\ndeadline = time.monotonic() + 5\n"
        "while time.monotonic() < deadline:\n    pass\nassert True\n"
    )
    assert wall_clock_assertions(direct) == [3]
    assert wall_clock_assertions(indirect) == [4]
    assert wall_clock_assertions(waiting) == []
