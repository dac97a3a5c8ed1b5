# runc-trace: top-level build and test entry points. On a fresh Debian 12 machine:
#   make build    # deps, pinned upstream fetch, patched + pristine runc, BPF helper, consumer
#   make test     # everything CI runs; ends with "N passed, N failed, N skipped"
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin

BIN := build/bin
SUITE := scripts/run-suite.sh

.PHONY: all deps fetch tree build runc test test-unit test-integration test-e2e test-upstream \
	test-upstream-traced upstream-baseline bench soak clean

all: build

deps: build/stamps/deps
build/stamps/deps: scripts/deps.sh
	scripts/deps.sh

fetch: deps
	runc/fetch.sh >/dev/null

# build/src/runc = upstream tag + patches/series as commits; build/src/runc-pristine = the tag.
tree: deps
	runc/prepare-tree.sh

runc: tree
	runc/build.sh

build: runc
	@if [ -f bpf/Makefile ]; then echo "==> make -C bpf"; $(MAKE) -C bpf; else echo "==> bpf/Makefile absent, BPF helper not built"; fi
	@if [ -f consumer/build.sh ]; then echo "==> consumer/build.sh"; consumer/build.sh; else echo "==> consumer/build.sh absent, consumer not built"; fi
	@ls -l $(BIN)

# Every suite runs even if an earlier one failed; the closing line sums them all and decides the
# exit status.
test: build
	@scripts/summary.sh reset
	-@$(MAKE) --no-print-directory test-unit
	-@$(MAKE) --no-print-directory test-integration
	-@$(MAKE) --no-print-directory test-clients
	-@$(MAKE) --no-print-directory test-e2e
	-@$(MAKE) --no-print-directory test-walkthrough
	-@$(MAKE) --no-print-directory test-demo
	-@$(MAKE) --no-print-directory test-docs
	-@$(MAKE) --no-print-directory test-upstream
	-@if [ -x $(BIN)/runc-trace-bpf ]; then $(MAKE) --no-print-directory test-upstream-traced; \
	else echo "==> $(BIN)/runc-trace-bpf absent: test-upstream-traced not run"; fi
	@scripts/summary.sh total

# The fork's own tests: foundation (fetch/patch/tool checks, patch round trip), and the unit tests
# of bpf/ and consumer/ when those folders provide them.
test-unit:
	-@$(SUITE) "foundation" bats -t test/upstream/foundation.bats
	-@if [ -f bpf/Makefile ] && $(MAKE) -C bpf -n test >/dev/null 2>&1; then $(SUITE) "bpf unit" $(MAKE) --no-print-directory -C bpf test; fi
	-@if [ -x consumer/test.sh ]; then $(SUITE) "consumer unit" consumer/test.sh; fi
	-@if [ -x ui/test.sh ]; then $(SUITE) "ui unit" ui/test.sh; fi
	-@$(SUITE) "annotation fuzz" $(MAKE) --no-print-directory fuzz

# go test -fuzz of the io.trace.* annotation parser (patch 0002) in the patched tree: any key and
# value either parse into a consistent config or fail naming the annotation. FUZZTIME=10m for longer.
FUZZTIME ?= 30s
.PHONY: fuzz
fuzz:
	cd build/src/runc && PATH=$$PATH:/usr/local/go/bin GOTOOLCHAIN=local GOFLAGS=-mod=mod \
		go test -run '^$$' -fuzz '^FuzzInitSyscallTrace$$' -fuzztime $(FUZZTIME) ./libcontainer/specconv/

# The trace core end to end, then hostile containers and faults (CI settings).
test-integration:
	-@$(SUITE) "integration" test/integration/run.sh
	-@$(SUITE) "hostile" test/hostile/run.sh

# podman and containerd (Debian's) as real clients of runc-trace; images from local tarballs
# (docs/CLIENTS.md).
.PHONY: test-clients
test-clients: ; -@$(SUITE) "clients" test/clients/run.sh

# deploy/ (systemd unit, Kubernetes manifests, containerd snippet, shipping configs) against the
# real consumer, containerd and systemd-analyze (docs/DEPLOYMENT.md, "What was checked").
.PHONY: test-docs
test-docs: ; -@$(SUITE) "docs deploy" bats -t test/docs/deploy.bats

# The dashboard in Debian's chromium against a real traced container.
test-e2e:
	@$(SUITE) "dashboard e2e" test/e2e/run.sh

# The README's "Walkthrough: a traced nginx", run exactly as written (debootstraps nginx once, cached).
.PHONY: test-walkthrough
test-walkthrough: ; -@$(SUITE) "walkthrough" test/walkthrough/run.sh

# Hostile containers and faults with the long settings (50 concurrent containers, longer floods).
soak: build
	@SOAK=1 RT_SUITE_TIMEOUT=60m $(SUITE) "hostile soak" test/hostile/run.sh

# runc's own Go unit tests and bats suite against build/bin/runc-trace, compared with pristine
# (test/upstream/baseline/, regenerate with `make upstream-baseline`).
test-upstream:
	@RT_SUITE_TIMEOUT=60m $(SUITE) "upstream" test/upstream/run.sh all

# The same bats suite with every container traced (annotation added by test/upstream/runc-traced).
# The spills of its traced containers go to build/upstream-traced-spill (test/upstream/runc-traced).
test-upstream-traced:
	@rm -rf build/upstream-traced-spill; \
	RUNC_UNDER_TEST=$(CURDIR)/test/upstream/runc-traced RT_SUITE_TIMEOUT=60m $(SUITE) "upstream traced" test/upstream/run.sh bats; \
	rc=$$?; rm -rf build/upstream-traced-spill; exit $$rc

upstream-baseline: runc
	test/upstream/run.sh --baseline all

bench: build
	@if [ -x bench/run.sh ]; then bench/run.sh; else echo "bench/run.sh absent: nothing to run"; fi

# `make demo`: the consumer with its dashboard and two traced busybox containers; prints the
# dashboard URL and the JSONL paths (demo/run.sh). Builds only what is missing: `make build` redoes
# every step (go build, npm ci, tsc) and rewrites build/bin/* each time, too slow and too disruptive
# for a command that is run again and again. `make demo-stop` ends it (demo/stop.sh).
.PHONY: demo demo-stop test-demo
DEMO_NEEDS := $(BIN)/runc-trace $(BIN)/runc-trace-bpf $(BIN)/runc-trace-consumer build/ui/index.html
demo:
	@for f in $(DEMO_NEEDS); do [ -e $$f ] || { echo "==> $$f missing: make build"; $(MAKE) --no-print-directory build || exit 1; break; }; done
	@demo/run.sh

demo-stop:
	@demo/stop.sh

# `make demo` and `make demo-stop` as a user runs them, checked from outside (test/demo/).
test-demo:
	@$(SUITE) "demo" test/demo/run.sh

clean:
	@if [ -d build/src/runc/.git ]; then git -C build/src/runc worktree prune; fi
	rm -rf build
