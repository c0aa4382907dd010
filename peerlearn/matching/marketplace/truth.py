"""The hidden truth of a synthetic marketplace: who is really good at what. Django-free; only
``run`` reads it, to play the learners' and tutors' parts and to score the policies.

Per tutor: quality per topic (a tutor-wide level plus a per-topic deviation), a no-show
probability, a decline probability, a latent teaching style, languages and a weekly capacity.
Per learner: the topic they need, a latent learning style, languages, a rating generosity
(added to every score they give) and whether they fill in their availability.
A learner's true utility of a tutor = quality in the topic + style fit − a language penalty;
the expected value of recommending the tutor counts the no-show: ``(1 − p)·u − p·NO_SHOW_COST``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SUBJECTS = 3
TOPICS_PER_SUBJECT = 4
STYLES = 4  # accounts.LearningStyle has four values
LANGUAGE_PENALTY = 1.5
STYLE_WEIGHT = 0.6
NO_SHOW_COST = 1.0
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata")


@dataclass
class Truth:
    topics: int
    tutor_topics: list[list[int]]
    quality: np.ndarray  # (tutors, topics)
    no_show: np.ndarray  # (tutors,)
    decline: np.ndarray  # (tutors,)
    tutor_style: np.ndarray  # (tutors, STYLES) unit vectors
    tutor_languages: list[list[str]]
    capacity: np.ndarray  # sessions a week (1..4)
    tutor_zone: list[str]
    learner_topic: np.ndarray  # (learners,)
    learner_style: np.ndarray  # (learners, STYLES)
    learner_languages: list[list[str]]
    generosity: np.ndarray  # (learners,)
    learner_zone: list[str]
    learner_gives_availability: np.ndarray  # bool

    @property
    def tutors(self) -> int:
        return self.quality.shape[0]

    @property
    def learners(self) -> int:
        return self.learner_topic.shape[0]

    def teaches(self, t: int, k: int) -> bool:
        return k in self.tutor_topics[t]

    def utility(self, learner: int, tutor: int) -> float:
        k = int(self.learner_topic[learner])
        if not self.teaches(tutor, k):
            return -3.0
        fit = float(self.learner_style[learner] @ self.tutor_style[tutor])
        common = set(self.learner_languages[learner]) & set(self.tutor_languages[tutor])
        return float(
            self.quality[tutor, k] + STYLE_WEIGHT * fit - (0 if common else LANGUAGE_PENALTY)
        )

    def expected_value(self, learner: int, tutor: int) -> float:
        p = float(self.no_show[tutor])
        return (1 - p) * self.utility(learner, tutor) - p * NO_SHOW_COST

    def eligible(self, learner: int) -> list[int]:
        k = int(self.learner_topic[learner])
        return [t for t in range(self.tutors) if self.teaches(t, k)]

    def true_ranking(self, learner: int) -> list[int]:
        ts = self.eligible(learner)
        return sorted(ts, key=lambda t: -self.expected_value(learner, t))

    def relevance(self, learner: int) -> dict[int, float]:
        """Graded truth for NDCG: the true top 5 → 3, next 10 → 2, next 15 → 1."""
        out: dict[int, float] = {}
        for i, t in enumerate(self.true_ranking(learner)):
            out[t] = 3.0 if i < 5 else 2.0 if i < 15 else 1.0 if i < 30 else 0.0
        return out

    def scores(self, learner: int, tutor: int, rng: np.random.Generator) -> dict[str, int]:
        """The learner's review of a session: utility + their generosity + noise, per
        dimension (punctuality follows reliability, the others the session)."""
        u = self.utility(learner, tutor)
        base = 3.3 + 0.8 * u + float(self.generosity[learner])
        out = {}
        for name in ("clarity", "knowledge", "patience"):
            out[name] = int(np.clip(round(base + rng.normal(0, 0.5)), 1, 5))
        punctual = 4.2 - 3 * float(self.no_show[tutor]) + float(self.generosity[learner])
        out["punctuality"] = int(np.clip(round(punctual + rng.normal(0, 0.5)), 1, 5))
        return out

    def choose(self, learner: int, shown: list[int], rng: np.random.Generator) -> list[int]:
        """The tutors the learner would try, in order: they look at each place with probability
        1/log2(position + 1) (the first always) and prefer what they perceive as better."""
        looked = [t for i, t in enumerate(shown) if i == 0 or rng.random() < 1 / np.log2(i + 2)]
        perceived = {t: self.utility(learner, t) + rng.normal(0, 0.7) for t in looked}
        return sorted(looked, key=lambda t: -perceived[t])


@dataclass(frozen=True)
class Design:
    """The spreads the truth is drawn with: ``DEFAULT``, or ``ALTERNATIVE`` — teaching quality
    mostly per topic (a tutor great at one topic, weak at the next), more varied rating habits
    and more flaky tutors — to check that the method was not fitted to one world."""

    level_sd: float = 0.6  # tutor-wide quality
    topic_sd: float = 0.6  # per-topic deviation
    generosity_sd: float = 0.6
    flaky_share: float = 0.15  # tutors with a no-show probability of 0.2–0.5


DEFAULT = Design()
ALTERNATIVE = Design(level_sd=0.3, topic_sd=0.9, generosity_sd=0.9, flaky_share=0.25)
DESIGNS = {"default": DEFAULT, "alternative": ALTERNATIVE}


def make_truth(tutors: int, learners: int, seed: int, design: Design = DEFAULT) -> Truth:
    rng = np.random.default_rng(seed)
    topics = SUBJECTS * TOPICS_PER_SUBJECT
    tutor_topics = []
    for _ in range(tutors):
        subject = int(rng.integers(SUBJECTS))
        own = rng.choice(TOPICS_PER_SUBJECT, int(rng.integers(2, 4)), replace=False)
        picks = [subject * TOPICS_PER_SUBJECT + int(k) for k in own]
        if rng.random() < 0.2:  # some teach a topic of another subject too
            picks.append(int(rng.integers(topics)))
        tutor_topics.append(sorted(set(picks)))
    level = rng.normal(0, design.level_sd, tutors)
    quality = level[:, None] + rng.normal(0, design.topic_sd, (tutors, topics))
    no_show = np.where(
        rng.random(tutors) < design.flaky_share,
        rng.uniform(0.2, 0.5, tutors),
        rng.uniform(0, 0.05, tutors),
    )
    decline = rng.uniform(0, 0.15, tutors)
    tutor_style = _unit(rng.normal(0, 1, (tutors, STYLES)))
    learner_style = _unit(rng.normal(0, 1, (learners, STYLES)))
    tutor_languages = [
        ["en"] if r < 0.7 else ["en", "es"] if r < 0.9 else ["es"] for r in rng.random(tutors)
    ]
    learner_languages = [["en"] if r < 0.85 else ["es"] for r in rng.random(learners)]
    # learners need topics in proportion to how many tutors teach them
    taught = np.bincount([k for ks in tutor_topics for k in ks], minlength=topics).astype(float)
    learner_topic = rng.choice(topics, learners, p=taught / taught.sum())
    return Truth(
        topics=topics,
        tutor_topics=tutor_topics,
        quality=quality,
        no_show=no_show,
        decline=decline,
        tutor_style=tutor_style,
        tutor_languages=tutor_languages,
        capacity=rng.integers(1, 5, tutors),
        tutor_zone=[ZONES[int(i)] for i in rng.integers(len(ZONES), size=tutors)],
        learner_topic=learner_topic,
        learner_style=learner_style,
        learner_languages=learner_languages,
        generosity=rng.normal(0, design.generosity_sd, learners),
        learner_zone=[ZONES[int(i)] for i in rng.integers(len(ZONES), size=learners)],
        learner_gives_availability=rng.random(learners) < 0.7,
    )


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)
