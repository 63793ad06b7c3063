# ReportFlow: `make run` starts the whole system, `make test` runs the whole test suite (faults
# through a proxy), `make faults` the tests that stop and start the real PostgreSQL and RabbitMQ.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# Runtime (the image installs only this one), tests and linters, and what `make run` adds: the
# mail catcher and the Procfile runner (aiosmtpd is also the tests' SMTP server).
LOCKS := requirements.lock requirements-dev.lock requirements-demo.lock

# Debian's Chromium, which the browser tests drive through Playwright (tests/support/browser.py).
CHROMIUM := /usr/bin/chromium
# Playwright never downloads a browser of its own: the tests use Debian's.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: install run test faults lint check-services browser bench clean

$(INSTALLED): pyproject.toml $(LOCKS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(addprefix -r ,$(LOCKS))
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(INSTALLED)

install: $(INSTALLED)

check-services: install
	$(BIN)/python -m deploy.preflight

# deploy.local_admin writes .reportflow/local-admin.env (a generated admin, or nothing when
# REPORTFLOW_ADMIN_* are set) and prints how to sign in; the services get it through honcho.
run: check-services
	$(BIN)/python -m deploy.bootstrap
	$(BIN)/python -m deploy.local_admin
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/honcho --procfile deploy/Procfile --app-root . \
		start --env .reportflow/local-admin.env

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared services reportflow_cli tests deploy bench
	$(BIN)/lint-imports
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml
	$(BIN)/hadolint Dockerfile

# Installs Debian's chromium package once, when it is missing (needs root, as CI runs); the
# browser tests fail, never skip, without it.
browser:
	@test -x $(CHROMIUM) || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }
	@$(CHROMIUM) --version 2>/dev/null

test: check-services lint browser
	$(BIN)/pytest -m "not disruptive"

# The long fault scenarios, then the `disruptive` tests, which stop and restart the machine's real
# PostgreSQL and RabbitMQ: never on someone's laptop by accident, so only on request (and in CI,
# after `make test`). Prints a table of figures (docs/reliability.md).
faults: check-services
	$(BIN)/python -m bench.faults --real-restarts

bench: check-services
	$(BIN)/python -m bench.scheduler_lateness
	$(BIN)/python -m bench.export
	$(BIN)/python -m bench.throughput

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
