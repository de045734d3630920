# Acompaña — the two commands: `make run` (demo on http://127.0.0.1:5000) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-noto-core chromium
HOST ?= 127.0.0.1
PORT ?= 5000

BENCH_PACKAGES := wrk

.PHONY: install system-packages bench-packages run test translations translations-update bench clean-venv

install: system-packages $(VENV)/.installed translations

system-packages:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "System packages: all present."; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  echo "Installing system packages:$$missing"; \
	  (DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing >/dev/null 2>&1 || \
	   (apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing >/dev/null)) \
	  || { echo "Could not install:$$missing"; exit 1; }; \
	else \
	  echo "MISSING system packages:$$missing"; \
	  echo "  Install them as root: apt-get install$$missing"; \
	  echo "  (WeasyPrint needs Pango; libharfbuzz-subset0 makes PDFs ~6x faster; chromium runs the browser tests.)"; \
	fi

# wrk is the load generator the benches use (bench/harness.py falls back to a slower Python client).
bench-packages:
	@dpkg-query -W -f='$${Status}' $(BENCH_PACKAGES) 2>/dev/null | grep -q "install ok installed" \
	|| { [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null \
	     && (DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(BENCH_PACKAGES) >/dev/null 2>&1 \
	         || (apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(BENCH_PACKAGES) >/dev/null)) \
	     && echo "Installed $(BENCH_PACKAGES)." ; } \
	|| echo "$(BENCH_PACKAGES) is missing (apt-get install $(BENCH_PACKAGES) as root): the benches use their Python client."

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11 or newer is needed"; exit 1; }
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

translations: $(VENV)/.installed
	@$(BIN)/pybabel compile --statistics -d app/translations 2>&1 | grep -v "^compiling" || true

run: install
	$(FLASK) db upgrade
	$(FLASK) content sync
	$(FLASK) seed-demo
	@echo ""
	@echo "Acompaña is starting on http://$(HOST):$(PORT)  (Ctrl+C to stop)"
	@echo "Demo logins: admin, trainer, supervisor, trainee — password: acompana-demo"
	$(BIN)/gunicorn --workers 2 --worker-class sync --bind $(HOST):$(PORT) --access-logfile - wsgi:app

test: install
	$(BIN)/python tests/suites.py

bench: install bench-packages
	$(BIN)/python bench/pages.py

clean-venv:
	rm -rf $(VENV)

# Developers: after adding or changing strings, refresh the catalogs, then translate app/translations/es.
translations-update: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o app/translations/messages.pot --no-location --omit-header --sort-output app
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --ignore-obsolete
