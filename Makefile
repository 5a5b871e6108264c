# luau-embed: the native build (what CI runs). Bazel files are kept in step; see README.
# Targets: test (everything CI needs), demo, matrix, bench, bazel-offline.
SHELL := /bin/bash
.DEFAULT_GOAL := test

ROOT        := $(CURDIR)
LUAU_SRC    = $(shell tools/luau_src_dir.sh)
NATIVE      := target/native
NATIVE_CHECK:= target/native-check
GO          ?= go
CARGO       ?= cargo
GOFLAGS_ALL := GOTOOLCHAIN=local CGO_ENABLED=1
PREFIX      ?= /usr/local
# The Go package links through `#cgo pkg-config: luau-embed`. Inside the repository that is
# the build tree's target/native/pkgconfig/luau-embed.pc (written by `make native`), so every
# Go command run by make finds it; outside, `make install` (README, "Outside this repository").
export PKG_CONFIG_PATH := $(ROOT)/$(NATIVE)/pkgconfig$(if $(PKG_CONFIG_PATH),:$(PKG_CONFIG_PATH))

.PHONY: test demo matrix conformance bench native install package-test package-go package-rust native-check cpp-test cpp-longjmp cpp-asan go-test rust-test tools-test lint header-check clean

## native: Luau + the wrapper as target/native/libluau_embed.a (release, NDEBUG) and its
## pkg-config file target/native/pkgconfig/luau-embed.pc; Go links it.
native: $(NATIVE)/libluau_embed.a $(NATIVE)/pkgconfig/luau-embed.pc
$(NATIVE)/libluau_embed.a: $(wildcard luau/c/*.h luau/c/src/*.cpp luau/c/src/*.h) luau/CMakeLists.txt Cargo.lock
	cmake -S luau -B $(NATIVE) -G Ninja -DCMAKE_BUILD_TYPE=Release -DLUAW_CODEGEN=ON -DLUAU_SRC_DIR="$(LUAU_SRC)" >/dev/null
	ninja -C $(NATIVE) luau_embed
$(NATIVE)/pkgconfig/luau-embed.pc: $(NATIVE)/libluau_embed.a luau/luau-embed.pc.in
	cmake -S luau -B $(NATIVE) >/dev/null
	@touch $@

## install: the native library for the Go package outside this repository (PREFIX=/usr/local):
## PREFIX/lib/libluau_embed.a, PREFIX/include/luau_wrapper.h, PREFIX/lib/pkgconfig/luau-embed.pc.
install: native
	cmake --install $(NATIVE) --prefix "$(PREFIX)"

## package-test: the Go module and the Rust crates as users outside this repository get them
## (a module proxy / a registry of packaged crates in temp dirs; tools/package/).
package-test: package-go package-rust
package-go: native
	@tools/package/go_outside.sh
package-rust:
	@tools/package/rust_outside.sh

## native-check: the same sources with Luau's API asserts on, plus the GoogleTest suite.
native-check:
	cmake -S luau -B $(NATIVE_CHECK) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLUAW_ASSERTS=ON -DLUAW_TESTS=ON -DLUAU_SRC_DIR="$(LUAU_SRC)" >/dev/null
	ninja -C $(NATIVE_CHECK)

header-check:
	cc -std=c99 -Wall -Werror -fsyntax-only -x c luau/c/luau_wrapper.h
	@! grep -Eq '#include *[<"](lua|lualib|luacode|luaconf)\.h' luau/c/luau_wrapper.h || (echo "luau_wrapper.h must not include a Luau header"; exit 1)
	@! git ls-files | grep -Eq '(^|/)(lvm|lapi|ldo|lgc|lstate|Parser)\.cpp$$' || (echo "Luau sources are tracked by git"; exit 1)
	@echo "header-check: ok"

cpp-test: native-check
	@$(NATIVE_CHECK)/luau_wrapper_test --gtest_brief=1 2>&1 | tail -n 3

## cpp-longjmp: the C++ suite with Luau errors as longjmp (the wrapper must be correct in both modes).
cpp-longjmp:
	cmake -S luau -B target/native-longjmp -G Ninja -DCMAKE_BUILD_TYPE=Release -DLUAW_USE_LONGJMP=ON -DLUAW_TESTS=ON -DLUAU_SRC_DIR="$(LUAU_SRC)" >/dev/null
	ninja -C target/native-longjmp
	@target/native-longjmp/luau_wrapper_test --gtest_brief=1 2>&1 | tail -n 3

## cpp-asan: the C++ suite under AddressSanitizer + UBSan + LeakSanitizer.
cpp-asan:
	cmake -S luau -B target/native-asan -G Ninja -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS=-O1 -DLUAW_SANITIZE=ON -DLUAW_TESTS=ON -DLUAU_SRC_DIR="$(LUAU_SRC)" >/dev/null
	ninja -C target/native-asan
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 target/native-asan/luau_wrapper_test --gtest_brief=1 2>&1 | tail -n 3

go-test: native
	$(GOFLAGS_ALL) $(GO) vet ./go/...
	@test -z "$$(gofmt -l go)" || (echo "gofmt needed:"; gofmt -l go; exit 1)
	$(GOFLAGS_ALL) $(GO) test -count=1 ./go/...
	$(GOFLAGS_ALL) $(GO) test -count=1 -race ./go/...

rust-test:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked --features luau-embed/serde -- -D warnings
	$(CARGO) test --workspace --locked --features luau-embed/serde

tools-test:
	@cd tools && python3 -m unittest -q matrix_parity_test bench_report_test conformance_report_test 2>&1 | tail -n 1
	@python3 tools/matrix_parity.py --validate-only

## matrix: both runners on tests/matrix/cases, then again with native code generation on
## (LUAU_MATRIX_CODEGEN=1, reports in target/matrix/codegen), then the parity check of both
## passes (one summary line).
matrix: native
	@rm -rf target/matrix && mkdir -p target/matrix/codegen
	@$(GOFLAGS_ALL) $(GO) test -count=1 -run '^TestMatrix$$' ./go/pkg/luau/ >target/matrix/go.log 2>&1 || true
	@$(CARGO) test --quiet --locked -p luau-embed --test matrix >target/matrix/rust.log 2>&1 || true
	@LUAU_MATRIX_CODEGEN=1 $(GOFLAGS_ALL) $(GO) test -count=1 -run '^TestMatrix$$' ./go/pkg/luau/ >target/matrix/codegen/go.log 2>&1 || true
	@LUAU_MATRIX_CODEGEN=1 $(CARGO) test --quiet --locked -p luau-embed --test matrix >target/matrix/codegen/rust.log 2>&1 || true
	@python3 tools/matrix_parity.py --codegen-reports target/matrix/codegen

## conformance: Luau's own conformance scripts (LUAU_CONFORMANCE_DIR, default
## ../shared/luau-conformance/tests) through both runners at -O0/1/2, then the summary (one
## line; "SKIPPED: ..." when the scripts are missing). See tests/conformance/README.md.
conformance: native
	@rm -rf target/conformance && mkdir -p target/conformance
	@$(GOFLAGS_ALL) $(GO) test -count=1 -run '^TestConformance$$' ./go/pkg/luau/ >target/conformance/go.log 2>&1 || true
	@$(CARGO) test --quiet --locked -p luau-embed --test conformance >target/conformance/rust.log 2>&1 || true
	@python3 tools/conformance_report.py

## bench: Go and Rust suites side by side with the floor and the peers; BENCH_QUICK=1 for a
## short run. Writes target/bench/summary.json, summary.md and ratios.svg, prints the table.
bench: native
	@mkdir -p target/bench
	@tools/bench/go_bench.sh
	@tools/bench/rust_bench.sh
	@python3 tools/bench_report.py --require go,rust

lint: header-check

test: header-check bazel-check tools-test cpp-test cpp-longjmp cpp-asan go-test rust-test matrix conformance package-test
	@echo "make test: all suites passed"

demo: native
	@echo "== Go =="
	@$(GOFLAGS_ALL) $(GO) run ./go/cmd/demo
	@echo "== Rust =="
	@$(CARGO) run --quiet --locked -p luau-embed --example demo

clean:
	rm -rf target

## bazel-check: Bazel kept in step with the native build (fast, runs no Bazel): every source
## and test file in a Bazel target, the Luau archive pinned like Cargo.lock, buildifier lint,
## and the consistency checker's own tests.
.PHONY: bazel-check bazel-offline
bazel-check:
	@s=0; python3 tools/bazel_consistency.py || s=1; \
	python3 tools/bazel/test_bazel_consistency.py 2>/dev/null || { python3 tools/bazel/test_bazel_consistency.py; s=1; }; \
	tools/bazel/buildifier.sh || s=1; exit $$s

## bazel-offline: the unchanged MODULE.bazel through Bazel 7.7.1 from Debian sid in a chroot
## (offline verification only; prints "bazel-offline: SKIPPED (...)" where it cannot run).
bazel-offline:
	@tools/bazel/offline.sh
