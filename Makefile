# The README's two commands. Each installs what is missing, builds, and runs:
#   make quickstart   the main job: a small benchmark of random search vs GP strategies
#   make test         the whole test suite through ctest
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
QUICKSTART_OUT ?= quickstart-out

.PHONY: quickstart test build deps-build deps-test clean

deps-build:
	@bash scripts/install-deps.sh build

deps-test:
	@bash scripts/install-deps.sh test

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

quickstart: deps-build
	@$(MAKE) --no-print-directory build
	./$(BUILD)/llmbo bench examples/quickstart.json -j $(JOBS) --out $(QUICKSTART_OUT)
	./$(BUILD)/llmbo report $(QUICKSTART_OUT)
	@echo "quickstart: report in $(QUICKSTART_OUT)/report.md, plots in $(QUICKSTART_OUT)/*.svg"

test: deps-test
	@$(MAKE) --no-print-directory build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD) $(QUICKSTART_OUT)
