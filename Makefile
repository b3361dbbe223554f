# Ozara — the two set-up commands are `make demo` and `make test`; each works on a fresh machine.
PY := .venv/bin/python
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: demo test test-fast test-slow lint format typecheck bench venv clean i18n

venv:
	@scripts/bootstrap

demo: venv
	@$(PY) -m ozara.demo

test: lint
	@scripts/bootstrap --with-postgres
	$(PY) -m pytest -n 2 --dist loadfile -m "not slow" $(PYTEST_ARGS)

# Translations: after changing a user-visible string, extract, update, translate, compile.
i18n: venv
	$(PY) scripts/i18n extract && $(PY) scripts/i18n update && $(PY) scripts/i18n check

# The long variants (e.g. the fault test with 1,000 documents), left out of `make test`.
test-slow: venv
	@scripts/bootstrap --with-postgres
	$(PY) -m pytest -m slow -s $(PYTEST_ARGS)

test-fast: venv
	$(PY) -m pytest -x -q -m "not postgres and not slow and not browser" $(PYTEST_ARGS)

lint: venv
	$(PY) -m ruff check ozara tests bench scripts/i18n
	$(PY) -m ruff format --check ozara tests bench scripts/i18n
	$(PY) -m mypy

format: venv
	$(PY) -m ruff format ozara tests bench scripts/i18n
	$(PY) -m ruff check --fix ozara tests bench scripts/i18n

bench: venv
	@scripts/bootstrap --with-postgres
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf .venv var .pytest_cache .mypy_cache .ruff_cache .hypothesis
