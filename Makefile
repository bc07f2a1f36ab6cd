# geo_service: `make run` serves the demo district, `make test` runs the whole suite.
# Both install what is missing (OS packages, .venv), start the project-local PostGIS and migrate.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
GS := $(BIN)/geo-service
STAMP := $(VENV)/.installed-stamp

.PHONY: run test setup os-deps venv db lint format typecheck demo-data bench bench-readiness \
        bench-import bench-maps bench-tiles clean-db

run: setup ## serve the demo district on http://127.0.0.1:8000
	$(GS) demo load
	$(GS) serve

test: setup ## the whole test suite against a real PostGIS
	$(BIN)/python -m pytest -n 2 --dist loadgroup -m "not alone"  # two workers: faster on two cores
	$(BIN)/python -m pytest -m alone  # the tests that start/stop servers (a standby), in one process

setup: os-deps venv db

os-deps:
	@bash scripts/install-os-deps.sh --with-browser --with-gdal

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

db: venv
	$(GS) db up
	$(GS) db migrate

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

demo-data: venv ## regenerate data/demo/ (deterministic)
	$(BIN)/python -m tools.demo.generate --out data/demo

bench: bench-readiness bench-import bench-maps bench-tiles

bench-readiness: setup
	$(BIN)/python benchmarks/readiness.py

bench-import: setup
	@bash scripts/install-os-deps.sh --with-gdal
	$(BIN)/python benchmarks/import_parcels.py

bench-maps: setup
	$(BIN)/python benchmarks/maps.py

bench-tiles: setup ## tiles under wrk beside tipg (its own .bench-venv, never a service dependency)
	@command -v wrk >/dev/null || apt-get install -y wrk
	$(BIN)/python benchmarks/tiles.py

clean-db: venv ## stop the local cluster (its data is kept)
	$(GS) db down
