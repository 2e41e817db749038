"""Running a job of the workspace's code location in this process, as a run of the job
itself: the UI lists it under the job (see `origin`), as the schedule's runs."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from dagster import DagsterEvent, DagsterInstance, DagsterRun, JobDefinition

from moulin_sync.lib.dagster_internals import (
    ReconstructableJob,
    ReconstructableRepository,
    execute_run_iterator,
)
from moulin_sync.runs.origin import DEFINITIONS, MODULE, job_origin


def quiet_dagster() -> None:
    """Keep Dagster's beta and preview warnings out of the terminal and the service's log."""
    warnings.filterwarnings("ignore", category=UserWarning, module="dagster")
    warnings.filterwarnings("ignore", message=".*is currently in (beta|preview).*")


@dataclass(frozen=True)
class InProcessJob:
    """A job loaded from the workspace's module by name, as a run worker loads it."""

    recon: ReconstructableJob
    definition: JobDefinition

    @classmethod
    def load(cls, name: str) -> InProcessJob:
        repository = ReconstructableRepository.for_module(MODULE, DEFINITIONS, os.getcwd())
        recon = repository.get_reconstructable_job(name)
        return cls(recon, recon.get_definition())

    def create_run(
        self, instance: DagsterInstance, run_config: Mapping[str, Any], tags: Mapping[str, str]
    ) -> DagsterRun:
        """A run of the job, not started yet, from the workspace's code location."""
        return instance.create_run_for_job(
            self.definition,
            run_config=run_config,
            tags=tags,
            remote_job_origin=job_origin(self.recon.job_name),
            job_code_origin=self.recon.get_python_origin(),
        )

    def execute(self, run: DagsterRun, instance: DagsterInstance) -> Iterator[DagsterEvent]:
        """Run `run` to its end in this process: its events, as they happen."""
        return execute_run_iterator(self.recon, run, instance)
