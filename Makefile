# The README's commands. Each installs missing Debian packages first
# (scripts/install-deps), then configures, builds and runs with CMake presets.
JOBS ?= $(shell nproc)
CTEST_ARGS ?=

FUZZ_SECONDS ?= 30

.PHONY: demo test asan tsan clang fuzz bench docs package format format-check install-deps clean

demo:
	@scripts/install-deps build
	cmake --preset release
	cmake --build --preset release -j $(JOBS) --target concur_cli
	@echo "== running: build/release/apps/concur/concur demo"
	build/release/apps/concur/concur demo

test:
	@scripts/install-deps test
	cmake --preset dev
	cmake --build --preset dev -j $(JOBS)
	ctest --preset dev -j $(JOBS) $(CTEST_ARGS)

asan tsan clang:
	@scripts/install-deps test
	cmake --preset $@
	cmake --build --preset $@ -j $(JOBS)
	ctest --preset $@ -j $(JOBS) $(CTEST_ARGS)

# Every libFuzzer target for FUZZ_SECONDS each (scripts/fuzz); crash inputs in build/fuzz/artifacts.
fuzz:
	@scripts/install-deps fuzz
	cmake --preset fuzz
	cmake --build --preset fuzz -j $(JOBS)
	scripts/fuzz $(FUZZ_SECONDS)

bench:
	@scripts/install-deps bench
	cmake --preset release
	cmake --build --preset release -j $(JOBS)
	build/release/bench/concur_bench --out build/bench/results.json --markdown docs/benchmarks.md

docs:
	@scripts/install-deps docs
	cmake --preset dev
	cmake --build --preset dev --target docs
	@echo "== API reference: build/dev/docs/html/index.html"

package:
	@scripts/install-deps package
	cmake --preset package
	cmake --build --preset package -j $(JOBS)
	cd build/package && cpack -G DEB
	@echo "== install with: apt-get install ./$$(ls build/package/concur_*.deb)"

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

format-check:
	@scripts/install-deps test
	git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror

install-deps:
	scripts/install-deps all

clean:
	rm -rf build
