"""Where a run launched outside the webserver says it comes from: the code location of
workspace.yaml, so the UI lists it under its job (by its repository label), like a
scheduled run.
"""

from __future__ import annotations

import os
import sys

from moulin_sync.lib.dagster_internals import (
    SINGLETON_REPOSITORY_NAME,
    LoadableTargetOrigin,
    ManagedGrpcPythonEnvCodeLocationOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
)

# The code location of workspace.yaml, and the attribute of its module holding the
# Definitions.
MODULE, LOCATION = "moulin_sync.definitions", "moulin_sync"
DEFINITIONS = "defs"


def job_origin(name: str) -> RemoteJobOrigin:
    """The job as the code location of workspace.yaml serves it."""
    target = LoadableTargetOrigin(
        executable_path=sys.executable, module_name=MODULE, working_directory=os.getcwd()
    )
    location = ManagedGrpcPythonEnvCodeLocationOrigin(target, LOCATION)
    return RemoteJobOrigin(RemoteRepositoryOrigin(location, SINGLETON_REPOSITORY_NAME), name)
