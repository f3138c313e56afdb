# The two README commands: `make run` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift

.PHONY: run test build release bootstrap bench-kafka bench bench-percore bench-sinks bench-index fuzz clean image test-deploy format

bootstrap:
	@scripts/bootstrap

build: bootstrap
	$(SWIFT) build --build-tests

release: bootstrap
	$(SWIFT) build -c release --product hookway

run: release
	@scripts/run-local

# The runtime image hookway:local, with podman or docker, no registry needed (scripts/image).
image: bootstrap
	@scripts/image

# The image, the local stand-in images, and the compose stack run for real (scripts/compose-smoke).
test-deploy: bootstrap
	@scripts/image --stand-ins
	@scripts/compose-smoke

test: bootstrap
	@scripts/test

bench-kafka: bootstrap
	@scripts/bench-kafka

clean:
	rm -rf .build var

# Performance benchmark (issue 9): bare Hummingbird vs Python peer vs hookway serve.
bench: bootstrap
	@bench/run

# Sink limits (issue 29): concurrency, rateLimit and a CRM outage behind a circuit breaker.
bench-sinks: bootstrap
	@bench/sinks

# The event index (issue 32): outcomes into PostgreSQL (events/s), trace and search over 1,000,000 events.
bench-index: bootstrap
	@bench/index

# Per-core mode (issue 31): each server pinned to one core, broker and load on the other.
bench-percore: bootstrap
	@bench/percore

# Coverage-guided fuzzing (not part of `make test`).
fuzz: bootstrap
	@fuzz/run

# Formats every Swift file with the repository's .swift-format (checked by make test).
format:
	swift-format format --parallel -i -r Sources Tests Package.swift
