# ptsevent build. GNU make.
#
#   make serve   install what is missing, build everything, serve the example app
#   make test    install what is missing, build the guests, run every test
#
# Other targets: deps wasm build bench lint run-example clean help.

SHELL := /bin/bash
.DEFAULT_GOAL := help

GO          ?= go
CLANG       ?= clang
BIN         := bin/ptsevent
WASM_DIR    := build/wasm
TEST_TIMEOUT ?= 10m
BENCHTIME   ?= 1s
STATICCHECK_VERSION := v0.8.2

# Flags every C guest is built with (internal/testguest uses the same ones).
WASM_CFLAGS ?= --target=wasm32-wasi -O2 -Wall -Wl,--strip-debug -Iguest-sdk/c

# Debian packages the build and the tests need (see `make deps`).
APT_PACKAGES := libevent-dev pkg-config clang lld wasi-libc libclang-rt-14-dev-wasm32 wrk

SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
GOBIN_DIR := $(or $(shell $(GO) env GOBIN 2>/dev/null),$(shell $(GO) env GOPATH 2>/dev/null)/bin)
STATICCHECK := $(GOBIN_DIR)/staticcheck

.PHONY: help deps wasm build test bench lint serve run-example clean

help:
	@echo 'make serve        build everything (installing what is missing) and serve the example app'
	@echo 'make test         build the guests and run all tests'
	@echo 'make deps         install missing tools: $(APT_PACKAGES) staticcheck'
	@echo 'make wasm         build every guest into $(WASM_DIR)/'
	@echo 'make build        build $(BIN)'
	@echo 'make bench        run the benchmarks (BENCHTIME=$(BENCHTIME))'
	@echo 'make lint         gofmt, go vet, staticcheck'
	@echo 'make run-example  run the hello guests with $(BIN)'
	@echo 'make clean        remove bin/ and build/'

# ---------------------------------------------------------------------------
# deps: idempotent; asks apt only for what `dpkg -s` does not find.

deps:
	@missing=; \
	for p in $(APT_PACKAGES); do \
	  dpkg -s "$$p" >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@if ! "$(STATICCHECK)" -version 2>/dev/null | grep -qF '($(STATICCHECK_VERSION:v%=%))'; then \
	  echo "deps: installing staticcheck $(STATICCHECK_VERSION)"; \
	  $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION); \
	fi

# ---------------------------------------------------------------------------
# wasm: guests are found by convention (examples/wasm/README.md):
#   a directory under GUEST_ROOTS with main.go is a Go guest,
#   a directory under GUEST_ROOTS with main.c is a C guest (all its *.c),
# named after the directory: examples/wasm/hello-cmd -> build/wasm/hello-cmd.wasm.
# An optional build.flags file in the directory adds flags to go build or clang.

GUEST_ROOTS := $(wildcard examples/wasm tests/guests tests/conformance/guests)
find_guests = $(if $(GUEST_ROOTS),$(sort $(patsubst %/$(1),%,$(shell find $(GUEST_ROOTS) -name $(1) -not -path '*/testdata/*'))))
GO_GUEST_DIRS := $(call find_guests,main.go)
C_GUEST_DIRS := $(call find_guests,main.c)
BOTH := $(filter $(GO_GUEST_DIRS),$(C_GUEST_DIRS))
ifneq ($(BOTH),)
$(error a guest directory has both main.go and main.c: $(BOTH))
endif
GUEST_NAMES := $(notdir $(GO_GUEST_DIRS) $(C_GUEST_DIRS))

ifneq ($(words $(GUEST_NAMES)),$(words $(sort $(GUEST_NAMES))))
$(error guest names must be unique; directories: $(GO_GUEST_DIRS) $(C_GUEST_DIRS))
endif

guest_flags = $(if $(wildcard $(1)/build.flags),$(shell cat $(1)/build.flags))

# For each non-standard package a Go guest imports: its directory (a new
# file changes its mtime) and its source files, one a line.
GO_DEPS_TMPL = {{if not .Standard}}{{.Dir}}{{range .GoFiles}}{{"\n"}}{{$$.Dir}}/{{.}}{{end}}{{range .EmbedFiles}}{{"\n"}}{{$$.Dir}}/{{.}}{{end}}{{end}}

# go build, then record the guest's precise dependencies in $@.d.
define build_go_guest
GOOS=wasip1 GOARCH=wasm $(GO) build $(call guest_flags,$(GUEST_DIR)) -o $@ ./$(GUEST_DIR)
@deps=$$(GOOS=wasip1 GOARCH=wasm $(GO) list -deps -f '$(GO_DEPS_TMPL)' ./$(GUEST_DIR) | sed 's|^$(CURDIR)/||'); \
{ echo "$@:" $$deps; for f in $$deps; do echo "$$f:"; done; } > $@.d.tmp && mv $@.d.tmp $@.d
endef

define build_c_guest
$(CLANG) $(WASM_CFLAGS) $(call guest_flags,$(GUEST_DIR)) -o $@ $(wildcard $(GUEST_DIR)/*.c)
@$(CLANG) $(WASM_CFLAGS) $(call guest_flags,$(GUEST_DIR)) -Wno-unused-command-line-argument -MM -MP -MT $@ $(wildcard $(GUEST_DIR)/*.c) > $@.d.tmp && mv $@.d.tmp $@.d
endef

define go_guest_rule
$(WASM_DIR)/$(notdir $(1)).wasm: GUEST_DIR := $(1)
$(WASM_DIR)/$(notdir $(1)).wasm: $(1) $(wildcard $(1)/*.go $(1)/build.flags) go.mod go.sum | $(WASM_DIR)
	$$(build_go_guest)
endef

define c_guest_rule
$(WASM_DIR)/$(notdir $(1)).wasm: GUEST_DIR := $(1)
$(WASM_DIR)/$(notdir $(1)).wasm: $(1) $(wildcard $(1)/*.c $(1)/*.h $(1)/build.flags) | $(WASM_DIR)
	$$(build_c_guest)
endef

$(foreach d,$(GO_GUEST_DIRS),$(eval $(call go_guest_rule,$(d))))
$(foreach d,$(C_GUEST_DIRS),$(eval $(call c_guest_rule,$(d))))

WASMS := $(addprefix $(WASM_DIR)/,$(addsuffix .wasm,$(GUEST_NAMES)))
-include $(wildcard $(WASM_DIR)/*.wasm.d)

# The guests need deps' tools, but installing them must not rebuild them.
$(WASMS): | deps

$(WASM_DIR):
	mkdir -p $@

wasm: $(WASMS)

# ---------------------------------------------------------------------------

build:
	$(GO) build -o $(BIN) ./cmd/ptsevent

test: deps wasm
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...
	CGO_ENABLED=0 $(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./evloop/ ./host/...

# bench: the micro-benchmarks (go test -bench; guest-sdk/go/gateway's run
# inside wasm, its wasip1 test binary under ptsevent run), then the peer run:
# bench/cmd/runbench serves a hello world with ptsevent serve (Go reactor
# guest on net/http and on the Ctx mapping, Go scheduler guest, C reactor
# guest, each backend) and its peers (net/http, fasthttp, http-wasm-host-go,
# gevent, nginx) pinned away from wrk, in three interleaved rounds
# (medians), judges the issue's targets in a paired section (the guests,
# fasthttp and net/http side by side, 12 cycles of short runs), holds 10k keep-alive connections in one Go scheduler guest
# (ptsevent run and ptsevent serve, --max-fds), and writes bench/results/latest.md, latest.png
# and readme-snippet.md (the README's Performance section). bench/ is its own
# module (its peers' dependencies stay out of go.mod). Peers apt cannot
# install are reported missing. About 20 minutes on 2 cores.
BENCH_APT   := nginx python3-gevent
BENCH_BUILD := build/bench
BENCH_FLAGS ?=

bench: deps wasm build
	@missing=; \
	for p in $(BENCH_APT); do dpkg -s "$$p" >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "bench: installing$$missing"; \
	  { $(SUDO) apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; } || \
	  echo "bench: could not install$$missing; runbench reports those peers missing"; \
	fi
	@mkdir -p $(BENCH_BUILD)
	{ $(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -count=1 -timeout 30m ./evloop/ ./host/ ./wsgi-host/ ./wsgi-host/internal/http1/; \
	  GOOS=wasip1 GOARCH=wasm $(GO) test -c -o $(BENCH_BUILD)/gateway-wasip1.test ./guest-sdk/go/gateway/ && \
	  bin/ptsevent run $(BENCH_BUILD)/gateway-wasip1.test -- -test.run '^$$' -test.bench . -test.benchtime $(BENCHTIME); \
	  cd bench && $(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -count=1 -timeout 30m .; } 2>&1 | tee $(BENCH_BUILD)/micro.txt
	cd bench && $(GO) build -o ../$(BENCH_BUILD)/runbench ./cmd/runbench
	ulimit -n 65536 2>/dev/null || ulimit -n $$(ulimit -Hn); \
	$(BENCH_BUILD)/runbench -micro $(BENCH_BUILD)/micro.txt $(BENCH_FLAGS)

WASIP1_LINT_PKGS := $(if $(wildcard guest-sdk/go/*.go guest-sdk/go/*/*.go),./guest-sdk/...) $(addprefix ./,$(GO_GUEST_DIRS))

lint: deps
	@# third_party/ holds vendored upstream code (own module, see third_party/wazero/PATCHES.md): not ours to gofmt.
	@out=$$(find . -path ./third_party -prune -o -name '*.go' -print | xargs gofmt -l); if [ -n "$$out" ]; then echo "gofmt -l: these files need gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...
	GOOS=wasip1 GOARCH=wasm $(GO) vet $(WASIP1_LINT_PKGS)
	GOOS=wasip1 GOARCH=wasm $(STATICCHECK) $(WASIP1_LINT_PKGS)

# The example app. Until examples/wasm/hello (the HTTP app) exists, `serve`
# runs the command example instead.
# The example app: a Go net/http handler compiled to a wasm reactor, served
# by the host's HTTP/1.1 server. Try: curl http://127.0.0.1:8080/
SERVE_ADDR ?= 127.0.0.1:8080

serve: deps wasm build
	$(BIN) serve $(WASM_DIR)/hello.wasm --listen $(SERVE_ADDR)

run-example: deps wasm build
	$(BIN) run --env GREETING=hello $(WASM_DIR)/hello-cmd.wasm one "two words"
	$(BIN) run --env GREETING=hello $(WASM_DIR)/hello-cmd-c.wasm one "two words"

clean:
	rm -rf bin build
