# pulumi-tfgrid — the commands the README documents. `make help` lists them.
SHELL := /bin/bash
JEST_ARGS ?=
SCALE_NODES ?= 10,50

.PHONY: help setup pulumi build package typecheck lint format test quickstart schema docs bench bench-scale bench-stack-scale clean grid-up grid-down grid-status grid-logs grid-reset

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

setup: ## install system packages (root on Debian) and npm dependencies
	./scripts/install-system-deps.sh
	npm install --no-audit --no-fund   # not `npm ci`: the registry lacks some of @swc/core's optional platform builds
	$(MAKE) pulumi

# The Pulumi CLI, pinned in tools/pulumi/go.mod and built from Go modules (as Pulumi's provider repositories do).
PULUMI_VERSION := $(shell awk '$$1 == "github.com/pulumi/pulumi/pkg/v3" { print $$2 }' tools/pulumi/go.mod)
PULUMI_BIN := $(CURDIR)/.tools/pulumi/bin
PULUMI_STAMP := $(CURDIR)/.tools/pulumi/version

pulumi: ## build the Pulumi CLI (version pinned in tools/pulumi/go.mod) into .tools/pulumi/bin/; skip it if you have Pulumi
	@if [ "$$(cat $(PULUMI_STAMP) 2>/dev/null)" = "$(PULUMI_VERSION)" ] && [ -x $(PULUMI_BIN)/pulumi ]; then \
	  echo "pulumi $(PULUMI_VERSION) already in .tools/pulumi/bin"; \
	else \
	  echo "building pulumi $(PULUMI_VERSION) into .tools/pulumi/bin (first time: 5 to 15 minutes)"; \
	  rm -f $(PULUMI_STAMP) && \
	  cd tools/pulumi && GOBIN=$(PULUMI_BIN) go install \
	    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$(PULUMI_VERSION)" \
	    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi && \
	  echo "$(PULUMI_VERSION)" > $(PULUMI_STAMP); \
	fi
	@cmp -s tools/pulumi/pulumi-resource-pulumi-nodejs $(PULUMI_BIN)/pulumi-resource-pulumi-nodejs || \
	  install -m 755 tools/pulumi/pulumi-resource-pulumi-nodejs $(PULUMI_BIN)/pulumi-resource-pulumi-nodejs
	@[ -x $(PULUMI_BIN)/pulumi-language-nodejs ] || command -v pulumi-language-nodejs >/dev/null || \
	  echo "note: no pulumi-language-nodejs: the Go module proxy refuses its module (tools/pulumi/tools.go says more)" >&2

build: ## compile TypeScript into dist/
	npx tsc -p tsconfig.json

package: ## build the publishable SDK package (build/package) and pack it; prints the tarball's path last
	node -r @swc-node/register scripts/package.ts

typecheck: ## strict type check of the whole tree
	npx tsc -p tsconfig.json --noEmit

lint: ## lint and format check (Biome, biome.jsonc); `make format` fixes the formatting
	npx biome ci --error-on-warnings .

format: ## rewrite the tree in the house format (Biome)
	npx biome format --write .

test: typecheck lint ## type check, lint, then every jest test (root/Linux tests need `make setup` as root)
	npx jest --ci $(JEST_ARGS)

schema: ## regenerate schema.json from the provider's zod schemas, then docs/resources.md from it
	node -r @swc-node/register scripts/gen-schema.ts
	node -r @swc-node/register scripts/gen-docs.ts

docs: ## regenerate docs/resources.md (the resource reference) from schema.json
	node -r @swc-node/register scripts/gen-docs.ts

bench: ## run the benchmarks in bench/ and print their reports
	@for b in bench/*.bench.ts; do echo "== $$b"; node -r @swc-node/register $$b || exit 1; done

bench-scale: ## local grid scale table: up time, blocks, total RSS, down time for N sim nodes (SCALE_NODES=10,50)
	node -r @swc-node/register bench/grid-scale.bench.ts $(SCALE_NODES)

bench-stack-scale: ## stack of W workloads on N sim nodes: up, no-op up, 10% update, destroy (STACK_W=100,300,1000 STACK_N=50)
	node -r @swc-node/register bench/stack-scale.bench.ts $(or $(STACK_W),100,300,1000) $(or $(STACK_N),50)

clean:
	rm -rf dist build .jest-results.json

quickstart: setup ## set up (incl. make pulumi), local grid up, then `pulumi up` of examples/web-app through the Pulumi CLI, printing its outputs
	node bin/tfgrid local up
	node bin/tfgrid local deploy examples/web-app

grid-up: ## start the local grid (chain, relay, hub, DNS, 3 nodes); NODES=N for another size
	node bin/tfgrid local up --nodes $(or $(NODES),3)

grid-status: ## what runs where on the local grid
	node bin/tfgrid local status

grid-logs: ## tail every local grid log
	node bin/tfgrid local logs

grid-down: ## stop the local grid; nothing of it remains
	node bin/tfgrid local down

grid-reset: ## stop the local grid and delete its directory
	node bin/tfgrid local reset
