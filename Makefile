# swtrace: build, demo, test and benchmark.
#
#   sudo make demo    set up the machine, build, and run the demo
#   sudo make test    run every test, then a short fixed-seed fuzz run
#   sudo make fuzz    a long fuzz run (100,000 mutated and 10,000 generated programs)
#   make build        release build: .build/release/swtrace
#   sudo make bench   compare start-up with bpftrace (bench/run)
#   make clean        remove build products and bench results
#   make install      install swtrace, its manual, shell completions and example
#                     tools under $(DESTDIR)$(PREFIX) (PREFIX=/usr/local by default)
#   make deb          build .build/deb/swtrace_*.deb and check it (scripts/check-deb)
#
# Loading BPF programs needs root: the demo, the end-to-end tests and the
# benchmarks run as root.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build
.DELETE_ON_ERROR:

# sudo resets PATH to secure_path, which does not have the Swift toolchain.
export PATH := $(PATH):/opt/swift/usr/bin

SWIFT ?= swift
PREFIX ?= /usr/local
DESTDIR ?=

# What `make install` and `make deb` ship: a release build with the Swift runtime linked in
# statically, so it runs where no Swift toolchain is installed (ldd: Debian libraries only).
# It has a build folder of its own, so `make build` (and the benchmarks) stay as they are.
STATIC_SCRATCH := .build/static
STATIC_BIN := $(STATIC_SCRATCH)/release/swtrace

.PHONY: all setup build demo test fuzz fuzz-short bench clean static install deb

all: build

setup:
	scripts/setup

build: setup
	$(SWIFT) build -c release

demo: build
	scripts/demo

test: setup
	$(SWIFT) build
	$(SWIFT) test
	$(MAKE) fuzz-short

# The fuzzer runs swtrace as a child process and fails on any crash or hang. The short run
# compiles most programs without loading them (every 10th goes through the verifier with
# --dry-run) to stay under two minutes on a busy 2-core machine.
FUZZ_CRASHERS := .build/fuzz-crashers
fuzz-short:
	.build/debug/swtrace-fuzz replay --swtrace .build/debug/swtrace Tests/EndToEndTests/Scripts/crashers/*.st
	.build/debug/swtrace-fuzz generate --swtrace .build/debug/swtrace --seed 1 --count 300 --load-every 10 --crashers $(FUZZ_CRASHERS)
	.build/debug/swtrace-fuzz mutate --swtrace .build/debug/swtrace --seed 1 --count 400 --load-every 10 --crashers $(FUZZ_CRASHERS)

fuzz: build
	.build/release/swtrace-fuzz generate --seed $${SEED:-1} --count $${GENERATED:-10000} --progress --crashers $(FUZZ_CRASHERS)
	.build/release/swtrace-fuzz mutate --seed $${SEED:-1} --count $${MUTATED:-100000} --progress --crashers $(FUZZ_CRASHERS)

bench: build
	bench/run

# Only the shipped products: the TestSupport target imports XCTest, which has no static build.
static: setup
	$(SWIFT) build -c release --static-swift-stdlib --scratch-path $(STATIC_SCRATCH) --product swtrace
	$(SWIFT) build -c release --static-swift-stdlib --scratch-path $(STATIC_SCRATCH) --product swtrace-runtime

install: static
	scripts/install-tree "$(DESTDIR)" "$(PREFIX)" $(STATIC_BIN)

deb: static
	scripts/check-deb "$$(scripts/build-deb $(STATIC_BIN) .build/deb)"

clean:
	rm -rf .build bench/results
