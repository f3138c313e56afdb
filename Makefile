# The two README commands: `make run` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift

.PHONY: run test build release bootstrap bench-kafka bench fuzz clean

bootstrap:
	@scripts/bootstrap

build: bootstrap
	$(SWIFT) build --build-tests

release: bootstrap
	$(SWIFT) build -c release --product hookway

run: release
	@scripts/run-local

test: bootstrap
	@scripts/test

bench-kafka: bootstrap
	@scripts/bench-kafka

clean:
	rm -rf .build var

# Performance benchmark (issue 9): bare Hummingbird vs Python peer vs hookway serve.
bench: bootstrap
	@bench/run

# Coverage-guided fuzzing (not part of `make test`).
fuzz: bootstrap
	@fuzz/run
