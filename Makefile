# Minsim: `make demo` and `make test` install everything they need, from nothing.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV ?= $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
APT_PACKAGES := chromium fonts-nanum fonts-noto-color-emoji
export UV_PYTHON ?= 3.11

.PHONY: help uv system-deps install install-all demo test eval bench lint clean

help:
	@echo "make demo   install, simulate 14 days, run the pipeline, render the briefing"
	@echo "make test   install everything (incl. Airflow, konlpy) and run the test suite"
	@echo "make eval   accuracy figures (needs ../shared/data)   make bench   speed figures"

uv:
	@command -v uv >/dev/null 2>&1 || [ -x "$(UV)" ] || python3 -m pip install --quiet uv

# Chromium renders the PDF briefing and runs the browser test; fonts-nanum is a Korean font and
# fonts-noto-color-emoji draws the emoji citizens write (no empty boxes in the PDF).
system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi nanum \
	    || ! fc-list 2>/dev/null | grep -qi 'color emoji' \
	    || ! command -v java >/dev/null 2>&1; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "installing $(APT_PACKAGES) (apt)"; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      $(APT_PACKAGES) $$(command -v java >/dev/null || echo default-jre-headless) >/dev/null; \
	  else echo "warning: install $(APT_PACKAGES) for the PDF briefing and browser test"; fi; \
	fi

# --compile-bytecode: modules come with their bytecode, so a fresh process (a DAG task, a CLI
# call, a test worker) imports Great Expectations and Airflow in about half the time, also where
# PYTHONDONTWRITEBYTECODE keeps Python from caching it.
install: uv
	@$(UV) sync --quiet --frozen --compile-bytecode

install-all: uv system-deps
	@$(UV) sync --quiet --frozen --all-extras --compile-bytecode

demo: install system-deps
	@$(UV) run minsim demo

test: install-all
	@$(UV) run pytest -q

eval: install-all
	@$(UV) run python scripts/eval_all.py

bench: install-all
	@$(UV) run python scripts/bench.py

lint: install-all
	@$(UV) run ruff check pipeline dags tests scripts

clean:
	rm -rf .venv .pytest_cache data/warehouse.duckdb data/reports
