from __future__ import annotations
import pytest
from peerlearn.scheduling import services, selectors
from peerlearn.scheduling.models import TimeClaim
from peerlearn.scheduling.tests.test_concurrency import *  # noqa
from peerlearn.scheduling.tests import test_concurrency as tc

def sorted_claim_all(booking, learners):
    policy = selectors.policy_for(booking.tutor)
    periods = [(booking.tutor, TimeClaim.Role.TUTOR, *selectors.tutor_claim_period(policy, booking.starts_at, booking.ends_at))]
    periods += [(l, TimeClaim.Role.LEARNER, booking.starts_at, booking.ends_at) for l in learners]
    for user, role, start, end in sorted(periods, key=lambda p: p[0].pk):
        services._claim(booking, user, role, start, end)

@pytest.mark.parametrize("fixed", [False, True])
def test_cross(fixed, postgres, monkeypatch):
    if fixed:
        monkeypatch.setattr(services, "_claim_all", sorted_claim_all)
    subject = make_subject("Crosswise")
    pairs = [(make_tutor(display_name=f"A{i}", subject=subject), make_tutor(display_name=f"B{i}", subject=subject)) for i in range(25)]
    start = first_slot()
    calls = []
    for a, b in pairs:
        calls += [request_call(a, b, start), request_call(b, a, start)]
    outcomes = race(calls)
    errs = [o.error for o in outcomes if o.error is not None]
    print("fixed", fixed, "errors", len(errs), "winners", sum(o.booking_id is not None for o in outcomes))
    assert not errs
