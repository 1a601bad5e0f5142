# dm - the two set-up commands of the README, and the steps beneath them.
#   make demo     install what the demo needs, build dm-seed alone (Release, no tests), boot a
#                 local S3 server, seed data/
#   make check    install what is needed, build (plain and ASan+UBSan), run every test (the
#                 node's tests in the plain build only)
#   make install  build the Release tree (no tests) and install it under PREFIX (/usr/local),
#                 into DESTDIR when given: make install PREFIX=/usr DESTDIR=/tmp/pkg
#   make image    dm's container image as an OCI layout, without a registry ($(BUILD)/image)
BUILD ?= build
ASAN ?= build-asan
# the demo's and the install's builds: Release, no tests, warnings not errors
DEMO_BUILD ?= build-demo
RELEASE ?= build-release
PREFIX ?= /usr/local
DESTDIR ?=
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_ARGS ?= --output-on-failure
# tests at once in make check (tests/CMakeLists.txt says which may not share the machine)
CTEST_JOBS ?= 3
FUZZ_SECONDS ?= 30

.PHONY: all deps deps-dm deps-build build asan release install deb test test-asan fuzz fuzz-check check check-node demo bench image mutants clean

all: build

# what building dm needs: compilers, CMake, the -dev libraries libdm links
deps-dm:
	bash scripts/install-deps.sh build

# building with the tests needs cmocka too, and make check's builds compile through ccache
deps-build: deps-dm
	bash scripts/install-deps.sh libcmocka-dev ccache

# everything the tests need besides: the S3 server with the tests' clients, valgrind,
# clang-format, groff and man, the Kubernetes test bed with its node (etcd, containerd, runc,
# umoci from Debian; kube-apiserver, kubelet, kube-controller-manager and kube-scheduler built
# from Debian's kubernetes source once per machine and cached, about 25 minutes on 2 cores the
# first time)
deps: deps-build
	bash scripts/install-deps.sh all node
	bash scripts/k8s-tools.sh --node >/dev/null

build: deps-build
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDM_WERROR=ON -DDM_CCACHE=ON
	cmake --build $(BUILD) -j$(JOBS)

asan: deps-build
	cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DDM_WERROR=ON -DDM_SANITIZE=ON -DDM_CCACHE=ON
	cmake --build $(ASAN) -j$(JOBS)

# only the tests on the test bed's node (tests/node.cmake), in the plain build
check-node: deps build
	cd $(BUILD) && ctest $(CTEST_ARGS) -R '^node_'

test: deps build
	cd $(BUILD) && ctest $(CTEST_ARGS) --output-junit ctest-junit.xml

test-asan: deps asan
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest $(CTEST_ARGS) --output-junit ctest-junit.xml

# each libFuzzer target for FUZZ_SECONDS (clang; built in build-fuzz)
fuzz: deps
	bash tests/fuzz/run.sh $(FUZZ_SECONDS)

# each target for FUZZ_SECONDS from a fixed seed, so a failure can be replayed (make check runs
# the same beside the suites)
fuzz-check: deps
	DM_FUZZ_SEED=1 bash tests/fuzz/run.sh $(FUZZ_SECONDS)

# both builds' suites one after the other (ctest -j CTEST_JOBS each) with the fuzz targets running
# beside them; ends with the count of tests ctest skipped or did not run in either build, and why
# (tests/check.sh)
check: deps build asan
	bash tests/check.sh $(BUILD) $(ASAN) $(CTEST_JOBS) $(FUZZ_SECONDS) $(CTEST_ARGS)

# breaks each guarantee in tests/mutants/list in a scratch copy and shows a test
# catching it (not part of check: about 10 minutes on 2 cores)
mutants: deps
	bash tests/mutants/run.sh

# dm-seed alone, in its own Release build without the tests (about 35 s of CPU), then the demo.
# The S3 server's packages install while dm-seed builds: on a fresh Debian 12 their dpkg run
# and the build each take a minute or more, and neither needs the other.
demo: deps-dm
	bash scripts/install-deps.sh s3-server & deps=$$!; \
	cmake -S . -B $(DEMO_BUILD) -DCMAKE_BUILD_TYPE=Release -DDM_TESTS=OFF -DDM_GPU_SMOKE=OFF && \
	cmake --build $(DEMO_BUILD) -j$(JOBS) --target dm-seed; built=$$?; \
	wait $$deps; got=$$?; \
	[ $$got -eq 0 ] || echo "make demo: installing the S3 server's packages failed" >&2; \
	[ $$built -eq 0 ] && [ $$got -eq 0 ]
	bash scripts/demo.sh $(DEMO_BUILD)

# the tree make install installs: Release, no tests; the tools are built with PREFIX's share
# folder (where they find the platform content), so PREFIX is set here, not at install time
release: deps-dm
	cmake -S . -B $(RELEASE) -DCMAKE_BUILD_TYPE=Release -DDM_TESTS=OFF -DCMAKE_INSTALL_PREFIX=$(PREFIX)
	cmake --build $(RELEASE) -j$(JOBS)

install: release
	DESTDIR="$(DESTDIR)" cmake --install $(RELEASE)

# build-deb/dm_VERSION_ARCH.deb: the install tree under /usr as one Debian package, its Depends
# from the libraries the binaries link (dpkg-shlibdeps, hence dpkg-dev)
deb: deps-dm
	bash scripts/install-deps.sh dpkg-dev file
	cmake -S . -B build-deb -DCMAKE_BUILD_TYPE=Release -DDM_TESTS=OFF -DCMAKE_INSTALL_PREFIX=/usr
	cmake --build build-deb -j$(JOBS)
	cd build-deb && cpack -G DEB

bench: build
	bash bench/seed-bench.sh $(BUILD)

# the five tools and their libraries as an OCI layout ($(BUILD)/image/dm) and archive
# ($(BUILD)/image/dm.tar); the Containerfile builds the same with docker/podman/buildah
image: build
	bash scripts/install-deps.sh umoci
	bash tests/servers/k8s-image.sh $(BUILD) $(BUILD)/image

clean:
	rm -rf $(BUILD) $(ASAN) $(DEMO_BUILD) $(RELEASE) build-deb build-fuzz
