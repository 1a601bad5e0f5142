# dm - the two set-up commands of the README, and the steps beneath them.
#   make demo    install what is needed, build, boot a local S3 server, seed data/
#   make check   install what is needed, build (plain and ASan+UBSan), run every test
BUILD ?= build
ASAN ?= build-asan
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_ARGS ?= --output-on-failure
FUZZ_SECONDS ?= 30

.PHONY: all deps build asan test test-asan fuzz fuzz-check check demo bench mutants clean

all: build

deps:
	bash scripts/install-deps.sh all
	bash scripts/k8s-tools.sh >/dev/null

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDM_WERROR=ON
	cmake --build $(BUILD) -j$(JOBS)

asan: deps
	cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DDM_WERROR=ON -DDM_SANITIZE=ON
	cmake --build $(ASAN) -j$(JOBS)

test: build
	cd $(BUILD) && ctest $(CTEST_ARGS)

test-asan: asan
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest $(CTEST_ARGS)

# each libFuzzer target for FUZZ_SECONDS (clang; built in build-fuzz)
fuzz: deps
	bash tests/fuzz/run.sh $(FUZZ_SECONDS)

# make check fuzzes each target for 30 s from a fixed seed, so a failure can be replayed
fuzz-check: deps
	DM_FUZZ_SEED=1 bash tests/fuzz/run.sh 30

check: test test-asan fuzz-check

# breaks each guarantee in tests/mutants/list in a scratch copy and shows a test
# catching it (not part of check: about 10 minutes on 2 cores)
mutants: deps
	bash tests/mutants/run.sh

demo: build
	bash scripts/demo.sh $(BUILD)

bench: build
	bash bench/seed-bench.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN) build-fuzz
