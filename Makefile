# The README's two commands: `make demo` and `make test`. Everything else is a helper they call.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
export DAGSTER_HOME ?= $(CURDIR)/.codelake/dagster
export CODELAKE_HOME ?= $(CURDIR)/.codelake

.PHONY: install demo test test-fast test-browser test-slurm test-ray browser-deps sandbox-deps slurm-deps ui bench bench-fuzzy bench-web bench-filter-opc lint clean

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "needs $(PYTHON) (Python 3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	$(PY) -m codelake.compile_kernels
	touch $@

install: $(VENV)/.installed sandbox-deps

## make demo: install, build the demo dumps from files on this machine, materialize everything end to end
demo: install
	@mkdir -p $(DAGSTER_HOME)
	$(PY) -m demo.run

## make test: install and run the whole suite (the fast part, the browser test of the UI, the Slurm launcher on a real cluster,
## the data stages on a real local Ray cluster)
test: test-fast test-browser test-slurm test-ray

test-fast: install
	$(PY) -m pytest -q -m "not browser and not slurm and not ray" tests

browser-deps:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

# The sandbox that runs untrusted code (codelake/sandbox) needs bubblewrap.
sandbox-deps:
	@command -v bwrap >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; }

test-browser: install browser-deps
	$(PY) -m pytest -q -m browser tests

# The Slurm launcher's tests start a single-node Slurm cluster (no accounting) on this machine.
slurm-deps:
	@command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null; }

test-slurm: install slurm-deps
	$(PY) -m pytest -q -m slurm tests/cluster

# The Ray tests start a local Ray cluster (`ray start --head`, 2 CPUs) and run the data stages on it as Ray jobs.
test-ray: install
	$(PY) -m pytest -q -m ray tests/compute

## make ui: the Dagster UI on http://127.0.0.1:3000 over the demo lake
ui: install
	@mkdir -p $(DAGSTER_HOME)
	$(VENV)/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

lint: install
	$(VENV)/bin/ruff check .

bench: install
	$(PY) -m bench.ingest

# The filter benchmark against OpenCoder's released filter: OPC_ROOT is a checkout of
# OpenCoder-llm/opc_data_filtering; its own virtualenv (.venv-opc) is made from its requirements.txt on first use.
bench-filter-opc: install
	@test -n "$(OPC_ROOT)" || { echo "set OPC_ROOT to a checkout of OpenCoder-llm/opc_data_filtering"; exit 2; }
	$(PY) -m bench.filter --opc-root $(OPC_ROOT) --files $(or $(FILES),2000)

# The fuzzy-dedup benchmark runs the peers (datatrove, rensa) too: they live in their own virtualenv.
.venv-bench/.installed: pyproject.toml bench/requirements-peers.txt
	@command -v $(PYTHON) >/dev/null || { echo "needs $(PYTHON) (Python 3.11)"; exit 1; }
	$(PYTHON) -m venv .venv-bench
	.venv-bench/bin/python -m pip install -q --upgrade pip
	.venv-bench/bin/python -m pip install -q -e '.[test]' -r bench/requirements-peers.txt
	.venv-bench/bin/python -m codelake.compile_kernels
	touch $@

bench-fuzzy: .venv-bench/.installed
	.venv-bench/bin/python -m bench.fuzzy_dedup --preset jaccard-0.8 --preset datatrove --preset refinecode

# The web benchmark runs datatrove's WarcReader -> Trafilatura -> FastTextClassifierFilter in .venv-bench. That
# filter accepts `fasttext` only from fasttext-numpy2-wheel (which fails at training, not at predicting with
# codelake's model; bench.web checks its scores against fasttext-community's), so .venv-bench swaps the build.
.venv-bench/.web-installed: .venv-bench/.installed
	.venv-bench/bin/python -m pip uninstall -q -y fasttext-community
	.venv-bench/bin/python -m pip install -q --force-reinstall --no-deps fasttext-numpy2-wheel==0.9.2
	touch $@

bench-web: install .venv-bench/.web-installed
	$(PY) -m bench.web --peer-python .venv-bench/bin/python

clean:
	rm -rf .codelake
