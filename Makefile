# Every target creates or reuses the project venv itself: nothing is installed by hand.
# Contributor tools are PEP 735 dependency groups in pyproject.toml (dev, browser, demo, docs,
# bench), installed with `pip install --group`, which needs pip >= 25.1: hence the upgrade.
# Each target installs only the groups it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo
DOCS_STAMP := $(VENV)/.installed-docs
# The venv (created if missing) with a current pip, then `pip install` of what follows.
PIP_INSTALL = { test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); } \
	&& $(BIN)/python -m pip install --quiet --upgrade pip \
	&& $(BIN)/python -m pip install --quiet

.PHONY: venv test test-slow test-server test-fakeredis test-cluster test-browser matrix lint demo docs clean bench

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PIP_INSTALL) -e . --group dev --group browser
	touch $@

# The demo needs the package, django-redis and fakeredis (its Redis when none answers), no more.
$(DEMO_STAMP): pyproject.toml
	$(PIP_INSTALL) -e . --group demo
	touch $@

$(DOCS_STAMP): pyproject.toml
	$(PIP_INSTALL) --group docs
	touch $@

# The main suite; slow suites (wheel install, cluster, real servers, browser) have their own targets.
test: venv
	$(BIN)/python -m pytest -m "not slow and not browser and not server" $(PYTEST_ARGS)

test-slow: venv
	$(BIN)/python -m pytest -m slow $(PYTEST_ARGS)

# Real servers (gunicorn -k gthread, uvicorn): the parallel guard beside AxesCacheHandler, and
# the under-attack scenario at its smallest.
test-server: venv
	$(BIN)/python -m pytest -m server -s $(PYTEST_ARGS)

# Compatibility run of the suite on fakeredis' TCP server (in addition to, never instead of, test).
test-fakeredis: venv
	AXES_REDIS_TEST_SERVER=fakeredis $(BIN)/python -m pytest -m "not slow and not browser and not server and not real_redis_only" $(PYTEST_ARGS)

# The suite again on a real 3-primary Redis Cluster started for the run.
test-cluster: venv
	AXES_REDIS_TEST_SERVER=cluster $(BIN)/python -m pytest -m "not slow and not browser and not server and not real_redis_only and not single_node" $(PYTEST_ARGS)

# The admin in headless Chromium; browser builds cannot be downloaded, so Debian's are used.
test-browser: venv
	command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; }
	$(BIN)/python -m pytest -m browser -s $(PYTEST_ARGS)

# The versions we claim, tested (noxfile.py): the main suite once per stack, each in its own
# venv under .nox/, on pyenv's Pythons. NOX_ARGS="-s newest lowest" runs some (as CI does).
matrix: venv
	$(BIN)/python -c 'import nox' 2>/dev/null || $(BIN)/python -m pip install --quiet 'nox>=2025.10.16'
	$(BIN)/nox $(NOX_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy axes_redis testsupport tests example benchmarks

# Side-by-side benchmarks (never part of make test); BENCH_ARGS=--quick for a smoke run.
# Instruction counts need valgrind (Debian's package); without it that figure says so.
bench: venv
	$(BIN)/python -c 'import defender, django_redis, matplotlib, psycopg, pyinstrument, tqdm' 2>/dev/null \
		|| $(BIN)/python -m pip install --quiet --group bench
	command -v valgrind >/dev/null || { apt-get update -qq \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind; } \
		|| echo "valgrind could not be installed: no instruction counts in this run"
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

demo: $(DEMO_STAMP)
	$(BIN)/python example/run_demo.py

# The docs site from docs/ (MkDocs, mkdocs.yml) into build/docs; strict: any warning fails.
docs: $(DOCS_STAMP)
	$(BIN)/mkdocs build --strict

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .nox
