# siit — developer entry points. `make test` is the test command CI runs.
GO       ?= go
PKGS     := ./...
FUZZTIME ?= 10000x

.PHONY: all build test vet fmtcheck unit fuzz-short fuzz bench bench-full microbench lint generate demo install clean

all: build

build:
	$(GO) build -o bin/siit ./cmd/siit

vet:
	$(GO) vet $(PKGS)

fmtcheck:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

# All tests, with the race detector (several packages publish data with atomics).
unit:
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

# Short runs of every fuzz target (corpus + FUZZTIME of new inputs each).
fuzz-short:
	FUZZTIME=$(FUZZTIME) ./tools/fuzz.sh

test: vet fmtcheck unit fuzz-short

fuzz:
	FUZZTIME=2000000x FUZZTIME_FIXED=1 FUZZMINTIME=30s ./tools/fuzz.sh

# Side-by-side lab benchmark (quick mode, < 3 minutes) and the full RFC 8219 set; both rewrite BENCHMARKS.md.
bench: build
	./tools/bench.sh quick

bench-full: build
	./tools/bench.sh full

# Go micro-benchmarks of the translation core, EAM table and rings.
microbench:
	$(GO) test -p 1 -run '^$$' -bench . -benchmem ./xlat/... ./ring/...

lint: vet fmtcheck

generate:
	$(GO) generate ./...

# README's first command: a lab in network namespaces with traffic through siit.
demo: build
	./tools/demo.sh

PREFIX ?= /usr/local
install: build
	install -D -m 0755 bin/siit $(DESTDIR)$(PREFIX)/bin/siit
	ln -sf siit $(DESTDIR)$(PREFIX)/bin/jool_siit
	install -D -m 0644 tools/systemd/siit@.service $(DESTDIR)/etc/systemd/system/siit@.service
	install -D -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/siit/README.md
	@echo "installed; configure /etc/siit/NAME.json and /etc/siit/NAME.env, then: systemctl enable --now siit@NAME"

clean:
	rm -rf bin
