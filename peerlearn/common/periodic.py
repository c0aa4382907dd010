"""The periodic jobs: one table drives the systemd timers (deploy/systemd, written by
``manage.py periodic_jobs --systemd``) and the local scheduler of ``make run`` / ``make prod``
(``manage.py periodic_jobs --run``).

Each job is a management command run in its own process, exactly as the systemd service runs it,
so a job that crashes or leaks never takes the scheduler down with it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PeriodicJob:
    name: str  # the systemd unit is peerlearn-job@<name>
    command: tuple[str, ...]  # manage.py arguments
    every_seconds: int  # the local scheduler's interval
    calendar: str  # systemd OnCalendar= (the same cadence, aligned to the clock)
    why: str


JOBS: tuple[PeriodicJob, ...] = (
    PeriodicJob(
        "requeue_stale_tasks",
        ("requeue_stale_tasks",),
        60,
        "minutely",
        "tasks whose worker died (kill -9, OOM, a lost host) go back to the queue",
    ),
    PeriodicJob(
        "send_digests",
        ("send_digests",),
        3600,
        "hourly",
        "the daily digest emails that are due in each person's time zone",
    ),
    PeriodicJob(
        "reviews_reveal",
        ("reviews_reveal",),
        3600,
        "hourly",
        "reveal reviews whose blind window has closed",
    ),
    PeriodicJob(
        "end_abandoned_practice",
        ("end_abandoned_practice",),
        300,
        "*:0/5",
        "end pair practice sessions both people left without pressing Leave",
    ),
    PeriodicJob(
        "train_ranker",
        ("train_ranker",),
        3600,
        "hourly",
        "retrain the learned search ranker from recent impressions",
    ),
    PeriodicJob(
        "account_housekeeping",
        ("account_housekeeping",),
        3600,
        "hourly",
        "delete accounts whose grace period is over, and data exports past their window",
    ),
    PeriodicJob(
        "lti_sync_rosters",
        ("lti_sync_rosters",),
        3600,
        "hourly",
        "bring each LMS course's roster (LTI Names and Roles) into its discussion category",
    ),
    PeriodicJob(
        "analytics_rollup",
        ("analytics_rollup",),
        900,
        "*:0/15",
        "recompute the analytics rollup of today and the last ANALYTICS_RECOMPUTE_DAYS days",
    ),
    PeriodicJob(
        "clearsessions",
        ("clearsessions",),
        86400,
        "*-*-* 03:10:00",
        "delete expired login sessions",
    ),
    PeriodicJob(
        "prune_task_results",
        ("prune_db_task_results", "--min-age-days", "7", "--queue-name", "*"),
        86400,
        "*-*-* 03:40:00",
        "delete finished task rows older than a week (the task table would grow forever)",
    ),
)


def job_get(name: str) -> PeriodicJob:
    for job in JOBS:
        if job.name == name:
            return job
    raise KeyError(name)
