# The two commands that matter: `make run` and `make test` (see README.md). Both set up what they need.
.DEFAULT_GOAL := help
SHELL := /bin/bash

.PHONY: help run cluster test smoke bench bench-scaling lint fmt migrate messages schema screenshots clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

run: ## the whole service at http://localhost:8080 (PostgreSQL, local media, Centrifugo, nginx)
	@scripts/run.sh

cluster: ## the scaled topology on loopback to try by hand: two API and two Centrifugo nodes, a replica (:8090)
	@scripts/cluster.sh

test: ## the full test suite on a throwaway PostgreSQL, real Centrifugo, real S3 server, real nginx
	@scripts/test.sh $(ARGS)

smoke: ## a black-box contract client against a running stack (URL=http://localhost:8080)
	@scripts/bootstrap.sh
	@.venv/bin/python scripts/smoke.py --url $(or $(URL),http://localhost:8080)

bench: ## benchmarks on PostgreSQL at a million messages (see README, "Performance")
	@scripts/bench.sh $(ARGS)

bench-scaling: ## what one Centrifugo node and one relay hold: WebSocket connections, broadcast latency (docs/scaling.md)
	@scripts/bench-scaling.sh $(ARGS)

lint: ## ruff, the import contracts, the type check, the migrations check, the web client's types and format
	@scripts/bootstrap.sh
	@.venv/bin/ruff check .
	@.venv/bin/ruff format --check .
	@.venv/bin/lint-imports --no-cache
	@.venv/bin/mypy
	@.venv/bin/python manage.py makemigrations --check --dry-run >/dev/null
	@scripts/web-build.sh --required && cd web && npm run --silent lint

fmt: ## format the code
	@scripts/bootstrap.sh
	@.venv/bin/ruff check --fix .
	@.venv/bin/ruff format .
	@scripts/web-build.sh --required && cd web && npm run --silent format >/dev/null

migrate: ## apply migrations to the configured database
	@scripts/bootstrap.sh
	@.venv/bin/python manage.py migrate

messages: ## refresh and compile the Russian translations
	@scripts/bootstrap.sh
	@.venv/bin/python manage.py makemessages -l ru --no-obsolete --ignore=.venv --ignore=.cache --ignore=bench/results
	@.venv/bin/python manage.py compilemessages -l ru --ignore=.venv

schema: ## write the OpenAPI schema to docs/openapi.yaml, and what its routes allow to nginx/allow.map (+ docker.conf)
	@scripts/bootstrap.sh
	@.venv/bin/python manage.py spectacular --file docs/openapi.yaml --validate
	@.venv/bin/python -m application.allow_map > nginx/allow.map
	@python3 nginx/render.py docker

screenshots: ## the web client's main screens, desktop and phone, into docs/screenshots/ (for the README)
	@WEB_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots scripts/test.sh web/tests/test_screenshots.py -q

clean: ## remove local state (the database cluster, media, caches); keeps the Centrifugo build cache
	rm -rf data media static run .pytest_cache .ruff_cache .mypy_cache .import_linter_cache
