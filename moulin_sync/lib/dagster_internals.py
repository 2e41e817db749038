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

# How that code location loads (module, interpreter, folder), inside its origin.
from dagster._core.types.loadable_target_origin import (
    LoadableTargetOrigin as LoadableTargetOrigin,
)
