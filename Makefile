.PHONY: help run test build format lint keys

help: ## Show the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

run: ## Serve on http://127.0.0.1:9400 with the default seed and keys
	swift run understudy serve

test: ## Everything CI runs (format check, build, Swift tests, interop tests)
	scripts/test.sh

build: ## Debug build with tests
	swift build --build-tests

format: ## Format Sources, Tests and Package.swift in place
	swift format format --in-place --parallel --recursive Sources Tests Package.swift

lint: ## Check formatting
	swift format lint --strict --parallel --recursive Sources Tests Package.swift

keys: ## Generate a fresh key pair into ./my-keys
	swift run understudy keys generate --dir my-keys
