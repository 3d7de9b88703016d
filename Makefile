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
STATICCHECK_VERSION := v0.8.2
STATICCHECK := $(BIN)/tools/staticcheck
# Packages whose tests need neither root nor the kernel's jail features:
# they also run under the race detector.
RACE_PKGS := ./services/... ./logs/... ./jinit/control/... ./kmod/mountinfo ./kmod/secmodel \
             ./jailctl/store ./jailctl/jail

.PHONY: all build cross test test-go test-c test-race test-systemd systemd-test lint bench fuzz demo generate clean install uninstall

all: build

build:
	$(GOFLAGS_B) $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/jinit ./jinit
	$(GOFLAGS_B) $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/jailctl ./jailctl
	$(GOFLAGS_B) $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/jails-collector ./jailctl/collectord
	ln -sf jailctl $(BIN)/jls
	ln -sf jailctl $(BIN)/jexec

# Every binary for NetBSD (amd64, arm64, 386, arm): the second target platform.
cross:
	for arch in amd64 arm64 386 arm; do \
	  GOOS=netbsd GOARCH=$$arch $(GOFLAGS_B) $(GO) build -trimpath -o $(BIN)/netbsd-$$arch/ ./jinit ./jailctl || exit 1; \
	  GOOS=netbsd GOARCH=$$arch $(GOFLAGS_B) $(GO) build -trimpath -o $(BIN)/netbsd-$$arch/jails-collector ./jailctl/collectord || exit 1; \
	done

# staticcheck is built for this machine and pinned; it also checks the
# NetBSD build (GOOS=netbsd only changes what it analyses).
$(STATICCHECK):
	GOBIN=$(CURDIR)/$(BIN)/tools GOOS= GOARCH= $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

lint: $(STATICCHECK)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet $(PKGS)
	GOOS=netbsd $(GO) vet $(PKGS)
	$(STATICCHECK) $(PKGS)
	GOOS=netbsd $(STATICCHECK) $(PKGS)

test: lint build cross test-c test-race test-go test-systemd

test-race:
	CGO_ENABLED=1 $(GO) test -race -count=1 $(RACE_PKGS)

test-go:
	$(GOFLAGS_B) $(GO) test $(TESTFLAGS) $(PKGS)

# The systemd environment test: a Debian VM with systemd as PID 1 on cgroup
# v2 runs jails under jail@.service and from login sessions (.ci/systemd-test;
# the root image is cached in /var/cache/jails-test). About 4 minutes, 7 the
# first time; its last result is in docs/OPERATIONS.md.
test-systemd systemd-test: build
	./.ci/systemd-test

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

# Installation. `make install` installs what `make build` made (building it
# if missing); `make uninstall` with the same PREFIX and DESTDIR removes
# exactly that, including the directories install had to create, which it
# records in $(MANIFEST).
UNAME_S        := $(shell uname -s)
SBINDIR        ?= $(PREFIX)/sbin
MANDIR         ?= $(PREFIX)/share/man
DATADIR        ?= $(PREFIX)/share/jails
BASHCOMPDIR    ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR     ?= $(PREFIX)/share/zsh/site-functions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
# The rc.d script goes where rc(8) looks on NetBSD; elsewhere it is an example.
RCDDIR         ?= $(if $(filter NetBSD,$(UNAME_S)),/etc/rc.d,$(PREFIX)/share/examples/rc.d)
MANIFEST       := $(DATADIR)/installed-dirs
UNITS          := jail@.service jails-collector.service jails.target
MAN8           := jailctl.8 jinit.8
MAN5           := jail.toml.5 jail-service.5
INSTALL_DIRS    = $(SBINDIR) $(MANDIR)/man8 $(MANDIR)/man5 $(DATADIR) $(BASHCOMPDIR) \
                  $(ZSHCOMPDIR) $(SYSTEMDUNITDIR) $(RCDDIR)
INSTALLED       = $(SBINDIR)/jailctl $(SBINDIR)/jinit $(SBINDIR)/jails-collector $(SBINDIR)/jls $(SBINDIR)/jexec \
                  $(MAN8:%=$(MANDIR)/man8/%) $(MANDIR)/man8/jls.8 $(MANDIR)/man8/jexec.8 \
                  $(MAN5:%=$(MANDIR)/man5/%) \
                  $(BASHCOMPDIR)/jailctl $(BASHCOMPDIR)/jls $(BASHCOMPDIR)/jexec \
                  $(ZSHCOMPDIR)/_jailctl $(UNITS:%=$(SYSTEMDUNITDIR)/%) $(RCDDIR)/jails
SUBST           = sed 's|@SBINDIR@|$(SBINDIR)|g'
D               = $(DESTDIR)

$(BIN)/jailctl $(BIN)/jinit $(BIN)/jails-collector:
	@test -x $(BIN)/jailctl -a -x $(BIN)/jinit -a -x $(BIN)/jails-collector || $(MAKE) build

install: $(BIN)/jailctl $(BIN)/jinit $(BIN)/jails-collector
	@set -e; if [ -n "$(D)" ]; then mkdir -p "$(D)"; fi; new=; \
	for d in $(INSTALL_DIRS); do \
	  p=; for c in $$(echo "$$d" | tr / ' '); do \
	    p="$$p/$$c"; \
	    if [ ! -d "$(D)$$p" ]; then mkdir -m 755 "$(D)$$p"; new="$$new $$p"; fi; \
	  done; \
	done; \
	for p in $$new; do echo "$$p"; done >> "$(D)$(MANIFEST)"
	install -m 755 $(BIN)/jailctl $(BIN)/jinit $(BIN)/jails-collector "$(D)$(SBINDIR)/"
	ln -sf jailctl "$(D)$(SBINDIR)/jls"
	ln -sf jailctl "$(D)$(SBINDIR)/jexec"
	cd docs/man && install -m 644 $(MAN8) "$(D)$(MANDIR)/man8/" && install -m 644 $(MAN5) "$(D)$(MANDIR)/man5/"
	ln -sf jailctl.8 "$(D)$(MANDIR)/man8/jls.8"
	ln -sf jailctl.8 "$(D)$(MANDIR)/man8/jexec.8"
	install -m 644 jailctl/completion/jailctl.bash "$(D)$(BASHCOMPDIR)/jailctl"
	ln -sf jailctl "$(D)$(BASHCOMPDIR)/jls"
	ln -sf jailctl "$(D)$(BASHCOMPDIR)/jexec"
	install -m 644 jailctl/completion/_jailctl "$(D)$(ZSHCOMPDIR)/_jailctl"
	for u in $(UNITS); do $(SUBST) "jailctl/init/$$u" > "$(D)$(SYSTEMDUNITDIR)/$$u"; chmod 644 "$(D)$(SYSTEMDUNITDIR)/$$u"; done
	@if [ -f jailctl/rc.d/jails ]; then \
	  echo "install jailctl/rc.d/jails"; \
	  $(SUBST) jailctl/rc.d/jails > "$(D)$(RCDDIR)/jails"; chmod 755 "$(D)$(RCDDIR)/jails"; \
	else echo "jailctl/rc.d/jails does not exist yet: not installed"; fi

uninstall:
	for f in $(INSTALLED); do rm -f "$(D)$$f"; done
	@if [ -f "$(D)$(MANIFEST)" ]; then \
	  dirs=$$(sort -r "$(D)$(MANIFEST)"); rm -f "$(D)$(MANIFEST)"; \
	  for d in $$dirs; do rmdir "$(D)$$d" 2>/dev/null || true; done; \
	fi
