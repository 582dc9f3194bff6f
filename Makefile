# handoffd — the two commands a user needs: `make demo` and `make test`.
SWIFT ?= swift
APT_PACKAGES := librdkafka-dev libcurl4-openssl-dev libjemalloc-dev kcat pkg-config
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BIN := .build/debug/handoffd

.PHONY: deps build demo test test-swift test-contract test-e2e bench bench-compare fuzz clean

# Installs the Debian packages the build needs (only those missing).
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@command -v $(SWIFT) >/dev/null || { echo "Swift 6 is needed: https://www.swift.org/install/"; exit 1; }

build: deps
	$(SWIFT) build

# The broker on an embedded Kafka, fed the example conversations; prints what it decided.
demo: build
	$(BIN) demo --examples protocols/examples

# One debug build, then every test: unit and mock-cluster integration (Swift Testing), the
# contract's self-test, replay outputs against the schemas, and end-to-end against Tansu.
test: build test-swift test-contract test-e2e

# Serial: the integration suites each run a Kafka cluster, and the machine has two cores.
test-swift: build
	$(SWIFT) test --no-parallel

.tools/venv/.handoffd-stamp: scripts/test-env.sh
	scripts/test-env.sh >/dev/null

test-contract: build .tools/venv/.handoffd-stamp
	.tools/venv/bin/python scripts/validate_events.py --self-test
	.tools/venv/bin/python scripts/validate_events.py --asyncapi protocols/asyncapi.yaml
	@mkdir -p .tools/replay
	@for f in protocols/examples/*.jsonl Tests/contract/*.jsonl; do $(BIN) replay --input $$f > .tools/replay/$$(basename $$f) 2>/dev/null || exit 1; done
	@test "$$(grep -c '"type":"support.deadletter"' .tools/replay/malformed.jsonl)" = 11 || { echo "malformed.jsonl: expected 11 dead letters"; exit 1; }
	@grep -q '"type":"support.quality.alert"' .tools/replay/quality-gate.jsonl && grep -q '"type":"support.quality.resolved"' .tools/replay/quality-gate.jsonl \
		|| { echo "quality-gate.jsonl: expected the faithfulness gate to fire and resolve"; exit 1; }
	@grep -q '"type":"support.customer.erased"' .tools/replay/erase.jsonl && grep -q '"type":"support.callback.cancelled"' .tools/replay/erase.jsonl \
		|| { echo "erase.jsonl: expected the erase receipt and the pending callback cancelled"; exit 1; }
	.tools/venv/bin/python scripts/validate_events.py protocols/examples/*.jsonl .tools/replay/*.jsonl
	@# Prometheus rules (and their unit tests), the Grafana dashboard's queries, and the compose file
	@# where a compose tool exists; the docker files are not built here (no engine).
	scripts/check-monitoring.sh

test-e2e: build .tools/venv/.handoffd-stamp
	HANDOFFD_BIN=$(BIN) .tools/venv/bin/python -m pytest -q Tests/e2e

# Release builds take this prefix: one Swift build at a time on a small machine (BUILD_LOCK= to skip it).
BUILD_LOCK ?= $(shell command -v flock >/dev/null && echo flock /tmp/swift-build.lock)

# Figures, not tests: decision-core throughput, Kafka latency, memory per conversation.
bench: deps
	$(BUILD_LOCK) $(SWIFT) build -c release --product handoff-bench
	.build/release/handoff-bench

# One run on one Tansu broker with one 1M-event workload: librdkafka's limit, a Python peer and
# handoffd, then latency at half of handoffd's rate (docs/performance.md). About 7 minutes and 6 GB
# of RAM (Tansu keeps everything in memory). BENCH_ARGS="--events 20000 --conversations 2000" for a smoke run.
bench-compare: deps
	scripts/bench-env.sh >/dev/null
	$(BUILD_LOCK) $(SWIFT) build -c release --product handoffd
	$(BUILD_LOCK) $(SWIFT) build -c release --product handoff-bench
	.tools/bench-venv/bin/python bench/compare.py $(BENCH_ARGS)

# A million or more mutated records through the decoder and the engine (make test runs a seeded 50 000).
FUZZ_ITERATIONS ?= 1000000
fuzz: deps
	$(SWIFT) build -c release --product handoff-fuzz
	.build/release/handoff-fuzz --iterations $(FUZZ_ITERATIONS)

clean:
	rm -rf .build .tools
