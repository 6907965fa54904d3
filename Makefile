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

.PHONY: test build provider docs demo demo-shell demo-stop bench fmt

# Every debug build resolves dependency features the same way, so each one reuses the others'
# artifacts. Cargo unifies a dependency's features over the packages and targets it builds, and
# lets dev-dependencies add features only when it builds tests or examples: a bare
# `cargo build -p terraform-provider-autoscale` gave serde, tonic, tower, hyper and the AWS SDK
# crates other features than the test build (which adds aws-smithy-mocks, criterion, the
# gRPC client of tfplugin's tests...), and make test recompiled 36 of the demo's crates.
# `--workspace ... --examples` builds the provider binary with the test build's features while
# compiling only the binaries and tfplugin's example, not the test binaries.
PROVIDER_BUILD = cargo build $(CARGO_FLAGS) --workspace --bins --examples

## provider: build target/debug/terraform-provider-autoscale, as make test and make demo build it
provider:
	$(PROVIDER_BUILD)

## build: build the provider (debug) and everything the tests run
build:
	cargo build --workspace --all-targets

## test: install pinned tools, build, start an emulator, run every test, stop it; exit status tells
test: tools build
	@bash scripts/test.sh

## docs: regenerate docs/ from the schemas and examples/
docs: provider
	target/debug/terraform-provider-autoscale docs docs

## demo: build the provider, start the emulator and apply examples/quickstart against it
demo: tools
	@bash scripts/demo.sh

## demo-shell: a shell set up to run terraform by hand against the running demo (exit to leave)
demo-shell:
	@bash scripts/demo.sh shell

## demo-stop: destroy the demo (showing terraform's output; fails if destroy fails), stop the emulator, remove the demo's files
demo-stop:
	@bash scripts/demo.sh stop

## release: registry artifacts for this platform (zip, SHA256SUMS, manifest) and a filesystem mirror in dist/
release:
	@bash scripts/release.sh

## bench: release build, then start-up, plan/apply/refresh (200, 1000), the schema-shape sweep and terraform profile, AWS calls per refresh and micro-benchmarks against their peers; writes bench/RESULTS.md
bench: tools
	@bash bench/run.sh
