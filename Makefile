# The two README commands: `make run` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift

.PHONY: run test build release bootstrap bench-kafka clean

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
