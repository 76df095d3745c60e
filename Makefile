# Every target creates or reuses the project venv itself: nothing is installed by hand.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv test test-slow test-server test-fakeredis test-cluster test-browser lint demo clean bench

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,browser]'
	touch $(STAMP)

# The main suite; slow suites (wheel install, cluster, real servers, browser) have their own targets.
test: venv
	$(BIN)/python -m pytest -m "not slow and not browser and not server" $(PYTEST_ARGS)

test-slow: venv
	$(BIN)/python -m pytest -m slow $(PYTEST_ARGS)

# The parallel guard through real servers (gunicorn -k gthread, uvicorn), beside AxesCacheHandler.
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

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy axes_redis tests example

# Side-by-side benchmarks (never part of make test); BENCH_ARGS=--quick for a smoke run.
bench: venv
	$(BIN)/python -c 'import defender, django_redis, matplotlib, psycopg, pyinstrument, tqdm' 2>/dev/null \
		|| $(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

demo: venv
	$(BIN)/python example/run_demo.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
