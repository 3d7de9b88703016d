# Jails: build, test, benchmark. Tests run as root against the real kernel.
GO        ?= go
PREFIX    ?= /usr/local
DESTDIR   ?=
BIN       := bin
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
GOFLAGS_B := CGO_ENABLED=0
PKGS      := ./...
TESTFLAGS ?= -count=1 -timeout 20m

.PHONY: all build cross test test-go test-c lint bench fuzz demo generate clean

all: build

build:
	$(GOFLAGS_B) $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/jinit ./jinit
	$(GOFLAGS_B) $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/jailctl ./jailctl
	ln -sf jailctl $(BIN)/jls
	ln -sf jailctl $(BIN)/jexec

# Every binary for NetBSD (amd64 and arm64): the second target platform.
cross:
	for arch in amd64 arm64; do \
	  GOOS=netbsd GOARCH=$$arch $(GOFLAGS_B) $(GO) build -trimpath -o $(BIN)/netbsd-$$arch/ ./jinit ./jailctl || exit 1; \
	done

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet $(PKGS)
	GOOS=netbsd $(GO) vet $(PKGS)

test: lint build cross test-c test-go

test-go:
	$(GOFLAGS_B) $(GO) test $(TESTFLAGS) $(PKGS)

test-c:
	@if [ -f kmod/netbsd/Makefile.test ]; then $(MAKE) --no-print-directory -C kmod/netbsd -f Makefile.test test; fi

# Short fuzzing of every fuzz target (the seed corpora also run in `make test`).
FUZZTIME ?= 15s
fuzz:
	@for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# Benchmarks against the peers (tini, s6, runit, bubblewrap, unshare), in one run;
# writes docs/BENCHMARKS.md.
bench: build
	./.ci/bench

demo: build
	./services/examples/demo.sh

clean:
	rm -rf $(BIN)
