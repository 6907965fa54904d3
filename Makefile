# --- tools and emulator ---
# Pinned tools live in .tools/ (scripts/install-tools.sh); the background
# emulator's pid, port and log in .emulator/. Both are git-ignored.

EMULATOR_PORT ?= 0

.PHONY: tools emulator emulator-stop emulator-calls test-emulator

## tools: install Terraform 1.0.3, the null provider mirror and the Python venv into .tools/ (instant when up to date)
tools:
	@bash scripts/install-tools.sh

## emulator: start the local AWS emulator in the background (or reuse it); last line: AWS_ENDPOINT_URL=...
emulator: tools
	@bash emulator/daemon.sh start $(EMULATOR_PORT)

## emulator-stop: stop the background emulator (idempotent)
emulator-stop:
	@bash emulator/daemon.sh stop

## emulator-calls: print the background emulator's AWS call counts as JSON
emulator-calls:
	@bash emulator/daemon.sh calls

## test-emulator: run the emulator's own pytest suite (each module starts and stops its own emulator)
test-emulator: tools
	@.tools/venv/bin/python -m pytest emulator/tests -q

# --- project targets (test, demo, build, ...) ---
# Added by the lead below this line.

.PHONY: test build docs demo demo-stop bench fmt

## build: build the provider (debug) and everything the tests run
build:
	cargo build --workspace --bins --examples --tests

## test: install pinned tools, build, start an emulator, run every test, stop it; exit status tells
test: tools build
	@bash scripts/test.sh

## docs: regenerate docs/ from the schemas and examples/
docs:
	cargo run -q -p terraform-provider-autoscale -- docs docs

## demo: build the provider, start the emulator and apply examples/quickstart against it
demo: tools
	@bash scripts/demo.sh

## demo-stop: destroy the demo and stop the emulator
demo-stop:
	@bash scripts/demo.sh stop

## release: registry artifacts for this platform (zip, SHA256SUMS, manifest) and a filesystem mirror in dist/
release:
	@bash scripts/release.sh

## bench: release build, then start-up, plan/apply/refresh (200, 1000), AWS calls per refresh and micro-benchmarks against their peers; writes bench/RESULTS.md
bench: tools
	@bash bench/run.sh
