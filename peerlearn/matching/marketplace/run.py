"""Run a hidden-truth marketplace (``truth``) through the real services, round by round.

Setup: subjects and topics, tutors (profile, languages, a visible teaching style, topics,
weekly hours = their capacity, one-hour windows) and learners (profile, languages, a visible
learning style, availability for most) — through the accounts services. A history round: some
learners book a random tutor of their topic, so ratings exist at the cold start.

Each round (a week, with the clock moved by ``time_machine``): every learner, in random
order, is shown "Recommended for you" (``services.recommendations_show``: the ranker plus the
impression log), looks down the list (position bias) and tries up to three tutors by perceived
utility: a tutor may decline (``booking_decline``) or have no free hour left; otherwise
``booking_request`` + ``booking_accept``. After the week every session is completed or a tutor
no-show is recorded, and the learner (and tutor) review through ``review_submit``. Then
``ranker.train`` runs, as ``manage.py train_ranker`` would.

Scored per round, for the list each policy would show each learner — ours (what was served),
the rating sort (tutors of the topic by displayed rating), random, and the oracle (truth):
hit@1 in the learner's true top 5, NDCG@10 against the true grades, the expected no-show rate
of the tutor the learner would pick, and how many learners find none of their top 3 with a
free hour (each policy allocating the round's capacity on its own).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from typing import Any

import numpy as np

from .truth import DEFAULT, STYLES, Design, Truth, make_truth

POLICIES = ("ours", "rating", "random", "oracle")
START = datetime(2031, 3, 3, 6, 0, tzinfo=UTC)  # a Monday


@dataclass
class RoundResult:
    round: int
    metrics: dict[str, dict[str, float]]  # policy -> hit1, ndcg10, no_show, blocked
    bookings: int = 0
    sessions: int = 0
    tutor_no_shows: int = 0
    explored: int = 0
    served_version: int | None = None
    promoted: bool = False
    train_message: str = ""
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class World:
    truth: Truth
    tutors: list[Any]  # User, index = truth index
    learners: list[Any]
    topic_ids: list[int]  # truth topic -> Subject pk
    tutor_index: dict[int, int]  # user pk -> truth index


def ndcg10(shown: list[int], rel: dict[int, float]) -> float:
    gains = [2 ** rel.get(t, 0.0) - 1 for t in shown[:10]]
    dcg = sum(g / np.log2(i + 2) for i, g in enumerate(gains))
    ideal = sorted((2**v - 1 for v in rel.values()), reverse=True)[:10]
    idcg = sum(g / np.log2(i + 2) for i, g in enumerate(ideal))
    return float(dcg / idcg) if idcg > 0 else 0.0


def build_world(truth: Truth, rng: np.random.Generator) -> World:
    from django.test import override_settings

    from peerlearn.accounts import services as accounts
    from peerlearn.accounts.models import LearningStyle
    from peerlearn.common.testing import make_subject, make_user
    from peerlearn.matching.services import tutor_documents_rebuild

    styles = list(LearningStyle.values)[:STYLES]
    topic_ids = []
    for k in range(truth.topics):
        subject = k // 4
        topic_ids.append(
            make_subject(f"Topic {k}", parent_names=("Marketplace", f"Subject {subject}")).pk
        )
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tutors, learners = [], []
    with override_settings(PASSWORD_HASHERS=fast):
        for t in range(truth.tutors):
            visible = [styles[i] for i in np.flatnonzero(truth.tutor_style[t] > 0.35)] or [
                styles[int(np.argmax(truth.tutor_style[t]))]
            ]
            user = make_user(
                f"mk-tutor-{t}@example.org",
                timezone=truth.tutor_zone[t],
                display_name=f"Tutor {t}",
                languages=truth.tutor_languages[t],
                learning_styles=visible,
            )
            for k in truth.tutor_topics[t]:
                accounts.teaching_subject_set(
                    actor=user, subject_id=topic_ids[k], proficiency="expert"
                )
            hour = 8 + t % 10
            days = rng.choice(7, int(truth.capacity[t]), replace=False)
            accounts.availability_replace(
                actor=user,
                user=user,
                windows=[
                    accounts.WindowInput(int(d), dtime(hour), dtime(hour + 1)) for d in sorted(days)
                ],
            )
            tutors.append(user)
        for learner in range(truth.learners):
            user = make_user(
                f"mk-learner-{learner}@example.org",
                timezone=truth.learner_zone[learner],
                display_name=f"Learner {learner}",
                languages=truth.learner_languages[learner],
                learning_styles=[styles[int(np.argmax(truth.learner_style[learner]))]],
            )
            if truth.learner_gives_availability[learner]:
                accounts.availability_replace(
                    actor=user,
                    user=user,
                    windows=[accounts.WindowInput(d, dtime(7), dtime(22)) for d in range(7)],
                )
            learners.append(user)
    tutor_documents_rebuild()
    return World(truth, tutors, learners, topic_ids, {u.pk: i for i, u in enumerate(tutors)})


class Week:
    """One round's bookings through the scheduling services, with each tutor's free hours."""

    def __init__(self, world: World, start: datetime, rng: np.random.Generator) -> None:
        self.world, self.start, self.rng = world, start, rng
        self.booked: list[tuple[int, int, int]] = []  # (booking pk, learner, tutor)
        self.taken = np.zeros(world.truth.tutors, dtype=int)

    def has_room(self, t: int) -> bool:
        return bool(self.taken[t] < self.world.truth.capacity[t])

    def book(self, learner: int, t: int) -> bool:
        from peerlearn.common.errors import ServiceError
        from peerlearn.scheduling import services as scheduling
        from peerlearn.scheduling.selectors import bookable_slots

        w = self.world
        tutor, user = w.tutors[t], w.learners[learner]
        topic = w.topic_ids[int(w.truth.learner_topic[learner])]
        slots = bookable_slots(
            tutor=tutor,
            duration_minutes=60,
            start=self.start + timedelta(hours=18),
            end=self.start + timedelta(days=7),
        )
        for slot in slots[:4]:
            try:
                booking = scheduling.booking_request(
                    actor=user,
                    tutor_id=tutor.pk,
                    subject_id=topic,
                    starts_at=slot.starts_at,
                    duration_minutes=60,
                )
            except ServiceError:
                continue  # the learner is busy then: the next slot
            if self.rng.random() < w.truth.decline[t]:
                scheduling.booking_decline(actor=tutor, booking_id=booking.pk, reason="Busy")
                return False
            scheduling.booking_accept(actor=tutor, booking_id=booking.pk)
            self.booked.append((booking.pk, learner, t))
            self.taken[t] += 1
            return True
        return False

    def finish(self) -> tuple[int, int]:
        """After the week: each session completed and reviewed, or the tutor's no-show."""
        from peerlearn.reviews.services import review_submit
        from peerlearn.scheduling import services as scheduling

        w = self.world
        sessions = no_shows = 0
        for pk, learner, t in self.booked:
            user, tutor = w.learners[learner], w.tutors[t]
            if self.rng.random() < w.truth.no_show[t]:
                scheduling.booking_mark_no_show(actor=user, booking_id=pk, absent_user_id=tutor.pk)
                no_shows += 1
                continue
            scheduling.booking_complete(actor=user, booking_id=pk)
            review_submit(actor=user, booking_id=pk, scores=w.truth.scores(learner, t, self.rng))
            review_submit(
                actor=tutor,
                booking_id=pk,
                subject_id=user.pk,
                scores={"preparedness": 4, "engagement": 4},
            )
            sessions += 1
        return sessions, no_shows


def _rating_order(world: World, learner: int, rng: np.random.Generator) -> list[int]:
    from peerlearn.matching.index import get_index

    index = get_index()
    eligible = world.truth.eligible(learner)
    rating = {
        t: float(index.rating[index.row_of[world.tutors[t].pk]])
        if world.tutors[t].pk in index.row_of
        else 0.0
        for t in eligible
    }
    jitter = {t: rng.random() * 1e-6 for t in eligible}
    return sorted(eligible, key=lambda t: -(rating[t] + jitter[t]))


def _score(
    world: World, lists: dict[str, dict[int, list[int]]], seed: int
) -> dict[str, dict[str, float]]:
    truth = world.truth
    out: dict[str, dict[str, float]] = {}
    order = np.random.default_rng(seed).permutation(truth.learners)
    for policy, shown_by in lists.items():
        hits, ndcgs, no_shows = [], [], []
        room = truth.capacity.astype(int).copy()
        blocked = 0
        for learner in order:
            shown = shown_by[int(learner)]
            top5 = set(truth.true_ranking(int(learner))[:5])
            hits.append(bool(shown) and shown[0] in top5)
            ndcgs.append(ndcg10(shown, truth.relevance(int(learner))))
            pick_rng = np.random.default_rng(seed * 100_003 + int(learner))
            tries = truth.choose(int(learner), shown[:10], pick_rng) if shown else []
            if tries:
                no_shows.append(float(truth.no_show[tries[0]]))
            free = [t for t in shown[:3] if room[t] > 0]
            if free:
                room[min(free, key=lambda t: tries.index(t) if t in tries else 99)] -= 1
            else:
                blocked += 1
        out[policy] = {
            "hit1": float(np.mean(hits)),
            "ndcg10": float(np.mean(ndcgs)),
            "no_show": float(np.mean(no_shows)) if no_shows else 0.0,
            "blocked_top3": float(blocked),
        }
    return out


def history(world: World, rng: np.random.Generator, share: float = 0.5) -> int:
    """Sessions before the platform recommended anything: some learners book a random tutor
    of their topic (found by browsing), so ratings exist at the cold start."""
    import time_machine

    week = Week(world, START - timedelta(days=14), rng)
    with time_machine.travel(week.start, tick=False):
        for learner in rng.permutation(world.truth.learners):
            if rng.random() < share:
                options = [t for t in world.truth.eligible(int(learner)) if week.has_room(t)]
                if options:
                    week.book(int(learner), int(rng.choice(options)))
    with time_machine.travel(week.start + timedelta(days=7, hours=12), tick=False):
        sessions, _ = week.finish()
    return sessions


def play_round(world: World, r: int, rng: np.random.Generator, seed: int) -> RoundResult:
    import time_machine

    from peerlearn.matching import ranker
    from peerlearn.matching.services import recommendations_show

    started = time.perf_counter()
    truth = world.truth
    week = Week(world, START + timedelta(days=7 * (r - 1)), rng)
    lists: dict[str, dict[int, list[int]]] = {p: {} for p in POLICIES}
    explored = 0
    with time_machine.travel(week.start, tick=False) as clock:
        _, served_version = ranker.current_model()
        for learner in rng.permutation(truth.learners):
            learner = int(learner)
            clock.shift(timedelta(seconds=10))  # learners arrive one after another
            user = world.learners[learner]
            topic = world.topic_ids[int(truth.learner_topic[learner])]
            recs = recommendations_show(learner=user, subject_id=topic, n=10, rng=rng)
            shown = [
                world.tutor_index[rec.tutor_id] for rec in recs if rec.tutor_id in world.tutor_index
            ]
            explored += sum(rec.explored for rec in recs)
            lists["ours"][learner] = shown
            lists["rating"][learner] = _rating_order(world, learner, rng)[:10]
            eligible = truth.eligible(learner)
            lists["random"][learner] = [int(t) for t in rng.permutation(eligible)[:10]]
            lists["oracle"][learner] = truth.true_ranking(learner)[:10]
            for t in truth.choose(learner, shown, rng)[:3]:
                if week.has_room(t) and week.book(learner, t):
                    break
    metrics = _score(world, lists, seed + r)
    with time_machine.travel(week.start + timedelta(days=7, hours=12), tick=False):
        sessions, no_shows = week.finish()
        result = ranker.train()
    return RoundResult(
        round=r,
        metrics=metrics,
        bookings=len(week.booked),
        sessions=sessions,
        tutor_no_shows=no_shows,
        explored=explored,
        served_version=served_version,
        promoted=result.promoted,
        train_message=result.message,
        seconds=time.perf_counter() - started,
    )


def simulate(
    *,
    tutors: int = 300,
    learners: int = 600,
    rounds: int = 4,
    seed: int = 7,
    progress: Callable[[str], None] | None = None,
    design: Design = DEFAULT,
) -> list[RoundResult]:
    """Build the world (``design``: the truth's spreads), play the history and ``rounds``
    rounds; one ``RoundResult`` each."""
    import time_machine

    from peerlearn.matching.index import invalidate
    from peerlearn.matching.quality import forget

    rng = np.random.default_rng(seed)
    truth = make_truth(tutors, learners, seed, design)
    with time_machine.travel(START - timedelta(days=21), tick=False):
        world = build_world(truth, rng)
    invalidate()
    forget()
    past = history(world, rng)
    if progress:
        progress(
            f"world: {tutors} tutors, {learners} learners, {truth.topics} topics; "
            f"{past} past sessions"
        )
    out = []
    for r in range(1, rounds + 1):
        invalidate()
        result = play_round(world, r, rng, seed)
        out.append(result)
        if progress:
            progress(format_round(result))
    return out


def format_round(r: RoundResult) -> str:
    lines = [
        f"round {r.round}: {r.bookings} bookings, {r.sessions} sessions, "
        f"{r.tutor_no_shows} tutor no-shows, {r.explored} explored places, served "
        f"{'v' + str(r.served_version) if r.served_version else 'the prior'} "
        f"({r.seconds:.0f} s); training: {r.train_message}"
    ]
    lines.append(f"  {'policy':<8} {'hit@1∈top5':>10} {'NDCG@10':>8} {'no-show':>8} {'blocked':>8}")
    for p in POLICIES:
        m = r.metrics[p]
        lines.append(
            f"  {p:<8} {m['hit1']:10.3f} {m['ndcg10']:8.3f} {m['no_show']:8.3f} "
            f"{m['blocked_top3']:8.0f}"
        )
    return "\n".join(lines)
