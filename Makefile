# The single entry point: make run | test | lint | bench
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# OCR; docker-compose validates deploy/compose.yaml; chromium drives the dashboard's browser tests
APT_PACKAGES := tesseract-ocr tesseract-ocr-rus tesseract-ocr-eng docker-compose chromium chromium-driver

.PHONY: run test lint bench install system-deps clean

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "python3.11 not found; set PY=/path/to/python3.11"; exit 1; }
	$(PY) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip wheel
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

system-deps:
	@if command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -q '^rus$$' \
		&& command -v docker-compose >/dev/null 2>&1 && command -v chromium >/dev/null 2>&1 \
		&& command -v chromedriver >/dev/null 2>&1; then \
		true; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing $(APT_PACKAGES) with apt-get"; \
		(apt-get install -y -qq $(APT_PACKAGES) >/dev/null 2>&1 || \
		 (apt-get update -qq >/dev/null && apt-get install -y -qq $(APT_PACKAGES) >/dev/null)) || \
		echo "WARNING: apt-get could not install $(APT_PACKAGES); OCR reports 'unavailable', deploy/browser tests fail in CI"; \
	else \
		echo "NOTE: not root (or no apt-get): skipping $(APT_PACKAGES). Install them yourself for OCR;"; \
		echo "      without them the vision stage reports 'ocr: unavailable' and skips OCR, and the"; \
		echo "      compose and browser tests skip (they fail in CI)."; \
	fi

install: system-deps $(STAMP)

run: install
	$(BIN)/tgassist run

test: install
	OMP_THREAD_LIMIT=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check tgassist tests benchmarks
	$(BIN)/ruff format --check tgassist tests benchmarks
	$(BIN)/mypy tgassist

bench: install
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
