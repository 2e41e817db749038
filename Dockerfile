# syntax=docker/dockerfile:1
# moulin-sync's image: the code server by default; the same image runs the Dagster
# webserver, the daemon and the Kubernetes run workers (see docs/kubernetes.md).
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
WORKDIR /app
# Only what the install needs (the project is installed with its locked dependencies).
COPY pyproject.toml uv.lock README.md ./
COPY moulin_sync ./moulin_sync
COPY deploy/image/build.sh ./deploy/image/build.sh
# The cache is a mount of its own: copy instead of hard-linking; compile for start-up time.
ENV UV_LINK_MODE=copy UV_COMPILE_BYTECODE=1
RUN --mount=type=cache,target=/root/.cache/uv \
    deploy/image/build.sh /app

# Same base as the build stage: the venv points at its /usr/local/bin/python3.11.
FROM ${PYTHON_IMAGE}
RUN groupadd --gid 10001 moulin \
    && useradd --uid 10001 --gid 10001 --create-home --shell /usr/sbin/nologin moulin \
    && mkdir -p /opt/dagster/dagster_home /data \
    && chown 10001:10001 /opt/dagster/dagster_home /data
WORKDIR /app
# The venv installs moulin_sync editable (a .pth naming /app), so the code sits at /app.
COPY --from=build /app/.venv /app/.venv
COPY --from=build /app/moulin_sync ./moulin_sync
COPY workspace.yaml ./
ENV PATH=/app/.venv/bin:$PATH \
    DAGSTER_HOME=/opt/dagster/dagster_home \
    MOULIN_DATA_DIR=/data \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER 10001:10001
EXPOSE 3030
CMD ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "3030", "-m", "moulin_sync.definitions"]
