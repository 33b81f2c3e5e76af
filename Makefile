# hutch: every developer and CI task is a target here.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PYTEST_ARGS ?=
DEBIAN_PACKAGES := bubblewrap slirp4netns nftables debootstrap zstd iproute2 e2fsprogs util-linux libseccomp2 ca-certificates curl tmux chromium fonts-dejavu-core skopeo umoci docker-registry apache2-utils openssl mitmproxy postgresql

.PHONY: help setup apt venv generate check-generated lint typecheck test test-unit test-integration test-contract test-kubernetes test-sdk-kubernetes test-server-postgresql serve demo bench build docs clean

help:
	@echo "make setup            Debian packages + $(VENV) with hutch installed editable (all extras)"
	@echo "make demo             run examples/quickstart.py against a local hutch serve (started if needed)"
	@echo "make test             unit, integration (real sandboxes, needs root) and contract tests (schemathesis, every check, ~7 min)"
	@echo "make serve            start hutch serve on localhost:7420"
	@echo "make generate         regenerate generated/hutch_api from openapi.yaml"
	@echo "make check-generated  fail if generated/ differs from what openapi.yaml generates"
	@echo "make lint             ruff + mypy"
	@echo "make bench            print benchmark figures"
	@echo "make docs             build the documentation site into site/ (warnings are errors)"

setup: apt $(VENV)/.installed

# Debian packages the runtime needs; installed only where missing, and only as root.
apt:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "missing Debian packages: $$missing (run 'sudo make apt')" >&2; exit 1; fi; \
	  echo "installing Debian packages: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[server,postgresql,kubernetes,cli,docs,dev,codegen]'
	touch $@

venv: $(VENV)/.installed

generate: venv
	VENV=$(VENV) scripts/generate.sh

check-generated: venv
	VENV=$(VENV) scripts/check_generated.sh

lint: venv
	$(VENV)/bin/ruff check src tests bench examples
	$(VENV)/bin/ruff format --check src tests bench examples
	$(VENV)/bin/mypy
	@# the sync SDK is generated from the async source: fail on drift (make generate rewrites it)
	@tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && PATH="$(abspath $(VENV))/bin:$$PATH" $(PY) scripts/gen_sync.py $$tmp && \
	  for p in $$($(PY) scripts/gen_sync.py --outputs); do diff -u $$p $$tmp/$$p || { echo "$$p is stale: run 'make generate'" >&2; exit 1; }; done && \
	  echo "the sync SDK matches its async source"

test: setup
	$(VENV)/bin/pytest $(PYTEST_ARGS)
	$(MAKE) --no-print-directory test-sdk-kubernetes
	$(MAKE) --no-print-directory test-server-postgresql

# The whole SDK suite again on `hutch serve --backend kubernetes --database postgresql://...`: two
# replicas sharing a data dir and a database behind one address, on the emulated cluster (README,
# "Running on Kubernetes").
test-sdk-kubernetes: setup
	HUTCH_TEST_BACKEND=kubernetes-emulated+postgresql+replicas $(VENV)/bin/pytest tests/integration/sdk $(PYTEST_ARGS)

# The server's whole suite again with its state in PostgreSQL (README, "State in PostgreSQL").
test-server-postgresql: setup
	HUTCH_TEST_BACKEND=local+postgresql $(VENV)/bin/pytest tests/integration/server $(PYTEST_ARGS)

test-unit: venv
	$(VENV)/bin/pytest tests/unit $(PYTEST_ARGS)

test-integration: setup
	$(VENV)/bin/pytest tests/integration $(PYTEST_ARGS)

test-contract: setup
	$(VENV)/bin/pytest tests/contract $(PYTEST_ARGS)

# The kubernetes backend's tests on a real cluster: needs KUBECONFIG and HUTCH_TEST_KUBE_IMAGE (README,
# "Running on Kubernetes"); without them they are skipped, and pytest says so.
test-kubernetes: setup
	$(VENV)/bin/pytest tests/integration/kube tests/integration/sdk -k "kubernetes and not emulated" -rs $(PYTEST_ARGS)
	HUTCH_TEST_BACKEND=kubernetes+postgresql+replicas $(VENV)/bin/pytest tests/integration/sdk -rs $(PYTEST_ARGS)

serve: setup
	$(VENV)/bin/hutch serve

demo: setup
	VENV=$(VENV) scripts/demo.sh

bench: setup
	VENV=$(VENV) scripts/bench.sh

build: venv
	$(PY) -m build --outdir dist .

# The documentation site (mkdocs.yml): README sections, examples, the CLI's help and openapi.yaml included.
docs: venv
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet

clean:
	rm -rf dist build site .pytest_cache .mypy_cache .ruff_cache
