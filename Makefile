# Quick start: `make run` (serve on 127.0.0.1:4566) and `make test`.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
DATA_DIR ?= data
LISTEN ?= 127.0.0.1:4566

.PHONY: all deps build run test unit integration test-asan format format-check bench fuzz clean

all: build

deps:
	@bash scripts/install-deps.sh build

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j$(JOBS) --target coffer

run: build
	$(BUILD_DIR)/src/cli/coffer serve --data-dir $(DATA_DIR) --listen $(LISTEN)

# Installs, builds, runs unit tests (ctest) and integration tests (pytest with
# boto3/awscli, node with the AWS SDK v3), then prints one summary line.
test:
	@bash scripts/install-deps.sh test
	@bash scripts/test.sh $(BUILD_DIR)

# Unit tests under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan:
	@bash scripts/install-deps.sh build
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCOFFER_SANITIZE=ON
	cmake --build build-asan -j$(JOBS)
	cd build-asan && ctest --output-on-failure -L unit -j$(JOBS)

format:
	git ls-files '*.cc' '*.h' | xargs clang-format -i

format-check:
	git ls-files '*.cc' '*.h' | xargs clang-format --dry-run -Werror

bench:
	bash bench/run.sh

fuzz:
	@bash scripts/install-deps.sh fuzz
	CXX=clang++ cmake -S . -B build-fuzz -DCOFFER_FUZZ=ON -DCOFFER_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build-fuzz -j$(JOBS)

clean:
	rm -rf $(BUILD_DIR) build-asan build-fuzz
