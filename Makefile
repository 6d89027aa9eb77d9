# The README's two commands. Each installs what is missing, builds, and runs:
#   make quickstart   the main job: a small benchmark of random search, GP-BO, GP-BO with the
#                     shipped advisor model (data/models/llmbo-advisor-mini.gguf) and the model alone
#   make test         the whole test suite through ctest
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
QUICKSTART_OUT ?= quickstart-out

.PHONY: quickstart engine-smoke distill test build deps-build deps-test clean

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
	@# CPU times are measurements, kept out of report.md's tables (so sharded and single-process
	@# benches report the same bytes) and written to timing.csv; the quickstart shows them too.
	@{ echo; echo "## Advisor CPU cost (measured on this machine, from timing.csv)"; echo; \
	  echo "| objective | strategy | runs | advisor CPU s/run | advisor wall s/run |"; \
	  echo "|---|---|---|---|---|"; \
	  awk -F, 'NR > 1 && $$6 > 0 { gsub(/"/, ""); \
	      printf "| %s | %s | %s | %.3f | %.3f |\n", $$1, $$2, $$3, $$6, $$5 }' \
	      $(QUICKSTART_OUT)/timing.csv; } >> $(QUICKSTART_OUT)/report.md
	@echo "quickstart: report in $(QUICKSTART_OUT)/report.md, plots in $(QUICKSTART_OUT)/*.svg"

# A random-weight engine smoke test: the local engine (a generated tiny qwen3moe model with random
# weights) as the advisor of one run. It checks the plumbing; its advice is noise.
engine-smoke: deps-test
	@$(MAKE) --no-print-directory build
	mkdir -p quickstart-engine-smoke
	/usr/bin/python3 tests/gguf_writer.py --arch qwen3moe --type q8_0 --merges 300 \
	    --out quickstart-engine-smoke/random-weight-engine-smoke-test.gguf
	./$(BUILD)/llmbo run examples/quickstart_engine_smoke.json --out quickstart-engine-smoke/run
	@echo "engine-smoke (random-weight engine smoke test): run in quickstart-engine-smoke/run"

# Regenerates the shipped advisor model (data/models/llmbo-advisor-mini.*) from scratch with fixed
# seeds: teacher data from llmbo's own loop, training with Debian's python3-torch, Q8_0 export.
distill:
	@bash scripts/install-deps.sh distill
	@$(MAKE) --no-print-directory build
	BUILD=$(BUILD) bash scripts/distill.sh

test: deps-test
	@$(MAKE) --no-print-directory build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD) $(QUICKSTART_OUT) quickstart-engine-smoke build-distill
