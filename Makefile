# Two commands on a fresh machine with Python 3.11+ and make:
#   make demo   — set everything up, run the main job on embedded defaults, print a summary
#   make test   — set everything up and run the test suite
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
RUN := $(VENV)/bin

.PHONY: install demo demo-ui up down test card-test lint format bench bench-large bench-parts bench-refresh bench-live reliability fidelity clean

# uv comes from PyPI into a private venv, so nothing but Python is needed beforehand.
$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --extra k8s --python $(PYTHON)
	touch $@

install: $(VENV)/.synced

demo: install
	$(RUN)/moulin-sync demo

# The demo, then the Dagster UI left up over it (Ctrl-C stops it).
demo-ui: install
	$(RUN)/moulin-sync demo --ui

# The production deployment on this machine: webserver and daemon on PostgreSQL, in the
# background (DAGSTER_PG_* pick the database; the local one by default).
up: install
	$(RUN)/moulin-sync up

down: install
	$(RUN)/moulin-sync down

test: install card-test
	bash scripts/install_browser.sh
	$(RUN)/pytest -q

# The HubSpot contact card's own tests (Node 20 and npm; versions pinned by the lock file).
card-test:
	cd hubspot-app && npm ci --no-audit --no-fund --loglevel=error && npm test

lint: install
	$(RUN)/ruff check .
	$(RUN)/ruff format --check .

format: install
	$(RUN)/ruff check --fix .
	$(RUN)/ruff format .

# Benchmarks and the full reliability suite are not part of `make test` (minutes each).
# The sync benchmark launches its runs as production does: through dagster-daemon on the
# local PostgreSQL (`moulin-sync up`); then the NPS stream at 100,000 answers and the
# tickets stream at 100,000 tickets.
bench: install
	$(RUN)/python bench/sync_benchmark.py --daemon
	$(RUN)/python bench/nps_benchmark.py
	$(RUN)/python bench/tickets_benchmark.py

bench-large: install
	$(RUN)/python bench/sync_benchmark.py --large --daemon

bench-parts: install
	$(RUN)/python bench/generator_benchmark.py
	$(RUN)/python bench/emulator_throughput.py
	$(RUN)/python bench/search_benchmark.py

bench-refresh: install
	$(RUN)/python bench/refresh_benchmark.py

# Live sync through dagster-daemon on PostgreSQL: a trickle of changes, then a burst.
bench-live: install
	$(RUN)/python bench/live_benchmark.py

reliability: install
	$(RUN)/python bench/reliability.py

# Other people's HubSpot clients against the emulator, unchanged (fidelity/README.md):
# Airbyte's HubSpot source (pinned in fidelity/airbyte-requirements.txt) and HubSpot's
# Node SDK. Not part of `make test`: it installs both under .fidelity/ (minutes).
FIDELITY := .fidelity
fidelity: install
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(FIDELITY)/airbyte
	$(UV) pip install --quiet --python $(FIDELITY)/airbyte/bin/python -r fidelity/airbyte-requirements.txt
	mkdir -p $(FIDELITY)/node
	cp fidelity/node/package.json fidelity/node/package-lock.json fidelity/node/probe.mjs $(FIDELITY)/node/
	cd $(FIDELITY)/node && npm ci --no-audit --no-fund --loglevel=error
	$(RUN)/python fidelity/airbyte_hubspot.py --connector $(FIDELITY)/airbyte/bin/source-hubspot
	$(RUN)/python fidelity/node_sdk.py --probe $(FIDELITY)/node/probe.mjs

clean:
	rm -rf $(VENV) $(TOOLS) .moulin .pytest_cache .ruff_cache
