"""Properties of the visit: readings in any order, and actions that touch one visit only."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.core.model import Verdict
from kiosk.core.pipeline import ScanContext, scan
from kiosk.core.visit import Visit, VisitBook, VisitError, judge, leave, observe, overrule
from server_stub.issuer import Issuer, good_certificates
from tests.conftest import NOW, context_for

temperatures = st.sampled_from([35.9, 36.5, 37.2, 37.3, 38.5, 41.0, 29.0, 46.0])
masks = st.booleans()
colours = st.sampled_from(["G", "Y", "R"])


@pytest.fixture(scope="module")
def material(issuer: Issuer) -> tuple[ScanContext, dict[str, Visit]]:
    ctx = context_for(issuer)
    made = {}
    for colour in "GYR":
        text = issuer.mint(name=f"{colour} *person", now=NOW - 60, colour=colour,
                           **good_certificates(NOW))  # fmt: skip
        made[colour] = Visit(f"v-{colour}", NOW * 1000, scan(text, ctx, NOW))
    return ctx, made


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    colour=colours,
    temps=st.lists(temperatures, max_size=4),
    mask_checks=st.lists(masks, max_size=4),
    order=st.randoms(use_true_random=False),
)
def test_readings_in_any_order_judge_as_all_at_once(
    material: tuple[ScanContext, dict[str, Visit]],
    colour: str,
    temps: list[float],
    mask_checks: list[bool],
    order: object,
) -> None:
    ctx, made = material
    base = made[colour]
    steps: list[tuple[str, object]] = [("t", t) for t in temps] + [("m", m) for m in mask_checks]
    # interleave the two kinds in any order, each kind keeping its own order
    marks = [kind for kind, _ in steps]
    order.shuffle(marks)  # type: ignore[attr-defined]
    queues = {"t": iter(temps), "m": iter(mask_checks)}
    visit = base
    for kind in marks:
        value = next(queues[kind])
        reading = {"temperature_c": value} if kind == "t" else {"mask": value}
        visit = observe(visit, **reading)  # type: ignore[arg-type]
    at_once = Visit(
        base.id,
        base.opened_ms,
        base.decision,
        temperature_c=temps[-1] if temps else None,
        mask=mask_checks[-1] if mask_checks else None,
    )
    assert judge(visit, ctx) == judge(at_once, ctx)


actions = st.lists(
    st.tuples(
        st.integers(0, 5),
        st.sampled_from(["temp", "mask", "approve", "deny", "leave"]),
        st.one_of(temperatures, masks),
    ),
    max_size=12,
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=actions, colours_of=st.lists(colours, min_size=6, max_size=6))
def test_no_action_changes_any_visit_but_its_own(
    material: tuple[ScanContext, dict[str, Visit]],
    script: list[tuple[int, str, object]],
    colours_of: list[str],
) -> None:
    ctx, made = material
    book = VisitBook()
    for i, colour in enumerate(colours_of):
        template = made[colour]
        book = book.opened(Visit(f"v{i}", NOW * 1000 + i, template.decision), ctx)
    for index, what, value in script:
        target = f"v{index}"
        before = {v.id: v for v in book.visits}
        visit = book.get(target)
        try:
            if what == "temp":
                visit = observe(
                    visit, temperature_c=float(value) if not isinstance(value, bool) else 36.6
                )
            elif what == "mask":
                visit = observe(visit, mask=bool(value))
            elif what in ("approve", "deny"):
                verdict = Verdict.ALLOW if what == "approve" else Verdict.DENY
                visit = overrule(visit, verdict, "guard's reason", NOW * 1000, ctx)
            else:
                visit = leave(visit, NOW * 1000 + 1)
        except VisitError:
            continue
        book = book.replaced(visit)
        after = {v.id: v for v in book.visits}
        assert set(after) == set(before)
        for visit_id, old in before.items():
            if visit_id != target:
                assert after[visit_id] is old, f"{what} on {target} changed {visit_id}"
        assert judge(after[target], ctx).verdict in set(Verdict)
