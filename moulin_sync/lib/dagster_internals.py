"""Every name moulin-sync takes from Dagster's private modules, each with why no public
API serves. Nothing else in moulin_sync imports `dagster._`: a Dagster upgrade that moves
one of these breaks here, and `moulin_sync_tests/test_dagster_internals.py` says which.

Runs launched outside the webserver (`moulin-sync sync`, the refresh button) need most of
them: the public `execute_job` and `materialize` create their own run, with no code
location origin, so the UI would not list it under its job.
"""

# A job loaded from the workspace's module by name, as a run worker loads it; the public
# `reconstructable` wants a function building the job, and records another code origin.
from dagster._core.definitions.reconstruct import (
    ReconstructableJob as ReconstructableJob,
)
from dagster._core.definitions.reconstruct import (
    ReconstructableRepository as ReconstructableRepository,
)

# The name a Definitions' repository has in a run's origin; not exported.
from dagster._core.definitions.repository_definition.valid_definitions import (
    SINGLETON_REPOSITORY_NAME as SINGLETON_REPOSITORY_NAME,
)

# Executes, in this process, a run created beforehand with our origin; nothing public does.
from dagster._core.execution.api import execute_run_iterator as execute_run_iterator

# A run's origin: workspace.yaml's code location, which the UI lists runs by; not exported.
from dagster._core.remote_origin import (
    ManagedGrpcPythonEnvCodeLocationOrigin as ManagedGrpcPythonEnvCodeLocationOrigin,
)
from dagster._core.remote_origin import RemoteJobOrigin as RemoteJobOrigin
from dagster._core.remote_origin import RemoteRepositoryOrigin as RemoteRepositoryOrigin

# Filters a check's history to completed evaluations; the instance's latest record may be
# a planned one (a check of a run still going).
from dagster._core.storage.asset_check_execution_record import (
    AssetCheckExecutionRecordStatus as AssetCheckExecutionRecordStatus,
)

# How that code location loads (module, interpreter, folder), inside its origin.
from dagster._core.types.loadable_target_origin import (
    LoadableTargetOrigin as LoadableTargetOrigin,
)

# Dagster's own cron parser and DST-aware ticks, so a cron accepted and a night measured
# here are the schedule's own; no cron library is installed (Dagster vendors croniter).
from dagster._utils.schedules import cron_string_iterator as cron_string_iterator
from dagster._utils.schedules import is_valid_cron_string as is_valid_cron_string
