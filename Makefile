# Wraparound — the two commands: `make demo` and `make test`. Needs only Python 3.11 and make.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed
export WRAPAROUND_DEMO_PASSWORD ?= wraparound-demo

.PHONY: install demo serve test test-fast test-browser lint format bench clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# A fresh SQLite database under var/, the demo network seeded, the logins printed, then the
# web server and a background worker until Ctrl+C.
demo: install
	rm -f var/demo.sqlite3 var/demo.sqlite3-wal var/demo.sqlite3-shm
	WRAPAROUND_MODE=demo DATABASE_URL=sqlite:///$(CURDIR)/var/demo.sqlite3 $(BIN)/wraparound migrate --noinput -v 0
	WRAPAROUND_MODE=demo DATABASE_URL=sqlite:///$(CURDIR)/var/demo.sqlite3 $(BIN)/wraparound seed_demo
	WRAPAROUND_MODE=demo DATABASE_URL=sqlite:///$(CURDIR)/var/demo.sqlite3 PORT=$(PORT) scripts/serve_demo.sh

# Serve the existing demo database again without reseeding.
serve: install
	WRAPAROUND_MODE=demo DATABASE_URL=sqlite:///$(CURDIR)/var/demo.sqlite3 PORT=$(PORT) scripts/serve_demo.sh

test: install
	$(BIN)/python scripts/ensure_browser_deps.py
	$(BIN)/pytest -n auto --dist loadgroup -q

test-fast: install
	$(BIN)/pytest -n auto -q -m "not browser"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	@for b in bench/*.py; do case $$b in */_*) continue;; esac; echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
