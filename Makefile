# swtrace: build, demo, test and benchmark.
#
#   sudo make demo    set up the machine, build, and run the demo
#   sudo make test    run every test
#   make build        release build: .build/release/swtrace
#   sudo make bench   compare start-up with bpftrace (bench/run)
#   make clean        remove build products and bench results
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

.PHONY: all setup build demo test bench clean

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

bench: build
	bench/run

clean:
	rm -rf .build bench/results
