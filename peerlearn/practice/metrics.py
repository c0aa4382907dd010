"""Practice's part of /metrics (``peerlearn.common.metrics``; registered in
``PracticeConfig.ready``)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from .models import Submission


class JudgeCollector(Collector):
    """Submissions queued or being judged, read at scrape time (two COUNT queries)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        judging = GaugeMetricFamily(
            "peerlearn_submissions_in_judge",
            "Submissions queued or being judged",
            labels=["status"],
        )
        for status in (Submission.Status.QUEUED, Submission.Status.RUNNING):
            judging.add_metric([status], Submission.objects.filter(status=status).count())
        yield judging
