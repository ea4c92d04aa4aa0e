"""RQ's queue and worker as yibiao runs them (YIBIAO_TASKS_BACKEND=redis, `yibiao worker`).

Several job workers on several machines share one Redis. A worker that dies in the middle
of a job (the machine lost, the process killed) leaves the job in RQ's started registry;
RQ itself hands such a job back to the queue once its heartbeat has lapsed, if the job has
retries left, and another worker runs it. Two things here make that happen, and soon:

- every job is enqueued with ``Retry(max=YIBIAO_JOB_RETRIES)`` (django-tasks-rq enqueues
  without one, and RQ then files a lost job as failed);
- RQ lets a heartbeat lapse 60 s after the last one, a job taken but not yet started
  wait a minute, and looks for such jobs every ten minutes; here a worker beats every
  YIBIAO_JOB_LOST_SECONDS / 3, a job is lost once YIBIAO_JOB_LOST_SECONDS pass without a
  beat (or without starting), and workers look every YIBIAO_JOB_LOST_SECONDS / 2.

A job run twice must therefore be harmless: reports.jobs.run_export and intake.jobs.run_import
do nothing for a job that ran to its end, and an export keeps exactly one file.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django_rq.queues import DjangoRQ
from rq import Retry
from rq import Worker as RQWorker
from rq.intermediate_queue import IntermediateQueue
from rq.job import Job
from rq.utils import now


def lost_seconds() -> int:
    return max(int(getattr(settings, "YIBIAO_JOB_LOST_SECONDS", 30)), 6)


class Taken(IntermediateQueue):
    """Where RQ keeps a job between a worker taking it and starting it: a worker that dies
    in that moment leaves it there, and RQ hands it on after a minute; here after
    YIBIAO_JOB_LOST_SECONDS, as a started job."""

    def should_be_cleaned_up(self, job_id: str) -> bool:
        first_seen = self.get_first_seen(job_id)
        return first_seen is not None and now() - first_seen > timedelta(seconds=lost_seconds())


class Queue(DjangoRQ):
    """django-rq's queue, giving each job retries for a worker lost under it."""

    @property
    def intermediate_queue(self) -> IntermediateQueue:
        return Taken(self.key, connection=self.connection)

    def create_job(self, *args: Any, retry: Retry | None = None, **kwargs: Any) -> Job:
        retries = int(getattr(settings, "YIBIAO_JOB_RETRIES", 3))
        if retry is None and retries > 0:
            retry = Retry(max=retries)
        return super().create_job(*args, retry=retry, **kwargs)


class Worker(RQWorker):
    """RQ's forking worker, beating and watching for lost colleagues' jobs more often."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        lost = lost_seconds()
        kwargs.setdefault("job_monitoring_interval", max(lost // 3, 1))
        kwargs.setdefault("maintenance_interval", max(lost // 2, 1))
        super().__init__(*args, **kwargs)

    @property
    def dequeue_timeout(self) -> int:
        """An idle worker waits on the queue no longer than its maintenance interval (RQ:
        the worker's ttl less 15 s, 405 s), so it looks for lost jobs while nothing is queued."""
        return max(1, min(self.worker_ttl - 15, int(self.maintenance_interval)))

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        """How long the job's entry in the started registry lives without another beat
        (RQ: the beat interval + 60 s, capped by the job's own timeout)."""
        grace = lost_seconds() - self.job_monitoring_interval
        if job.timeout and job.timeout > 0:
            return int(min(job.timeout - working_time, self.job_monitoring_interval)) + grace
        return self.job_monitoring_interval + grace
