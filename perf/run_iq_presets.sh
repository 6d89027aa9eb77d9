#!/usr/bin/env bash
# run_iq_presets.sh: the low-bit presets (IQ1_S ... IQ3_M) as llama.cpp's own quantiser writes
# them, read by llmbo and by llama.cpp side by side (docs/engine.md, perf/results/engine_formats.md).
#
#   perf/run_iq_presets.sh LLAMA_BUILD_BIN WORKDIR [BUILD]
#
# LLAMA_BUILD_BIN  llama.cpp's build/bin with llama-imatrix and llama-quantize (built from public
#                  source; never committed), and /tmp/llama_logits built from
#                  perf/peers/llama_logits.c against the same checkout
# WORKDIR          where the models go (about 15 MB)
# BUILD            llmbo's build directory [build]
#
# For qwen2, qwen3moe and llama: an F16 random-weight model (an engine smoke test; embd 256,
# 2 layers, MoE with 8 experts, 2 used), an importance matrix from llama-imatrix over 6000
# generated words (llama.cpp refuses these presets without one), then each preset by
# llama-quantize. For each file the table gives the last prompt position's logits of llmbo, of
# llama.cpp (1 thread, F32 KV cache) and of the float64 reference tests/ref_forward.py, as max
# |difference| over the reference's largest |logit|, top-1 agreement, whether 32 greedy tokens
# are identical, and the file's tensor types.
set -eu
LB=$1
WORK=$2
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${3:-$SRC/build}" && pwd)
PY=/usr/bin/python3
mkdir -p "$WORK"
cd "$WORK"
$PY - <<'PYEOF'
import random
random.seed(3)
words = ("the of and to in a is that for it as was with be by on not he this are or his from at "
         "which but have an they you were her she there all one their we").split()
open("calib.txt", "w").write(" ".join(random.choice(words) for _ in range(6000)))
PYEOF
PRESETS="IQ1_S IQ1_M IQ2_XXS IQ2_XS IQ2_S IQ2_M IQ3_XXS IQ3_XS IQ3_S IQ3_M"
for a in qwen2 qwen3moe llama; do
    $PY "$SRC/tests/gguf_writer.py" --arch $a --type f16 --out $a-F16.gguf --embd 256 --heads 4 \
        --kv-heads 2 --head-dim 64 --ff 256 --ff-exp 256 --layers 2 --seed 5
    "$LB/llama-imatrix" -m $a-F16.gguf -f calib.txt -o $a.imatrix.gguf -c 128 -t 2 >imat-$a.log 2>&1
    for p in $PRESETS; do
        "$LB/llama-quantize" --imatrix $a.imatrix.gguf $a-F16.gguf $a-$p.gguf $p 1 >qz-$a-$p.log 2>&1
    done
done
LLMBO=$BUILD/llmbo SRC=$SRC PRESETS="$PRESETS" $PY - <<'PYEOF'
import collections, os, re, subprocess
import numpy as np
W, L = os.environ["SRC"], os.environ["LLMBO"]
P = "The quick brown fox jumps over the lazy dog. 1234"
open("p.txt", "wb").write(P.encode())
print("| arch | preset | llmbo vs float64 ref | llama.cpp vs float64 ref | llmbo vs llama.cpp | top-1 "
      "| greedy-32 | tensor types (besides F32) |")
print("|---|---|---|---|---|---|---|---|")
for a in ["qwen2", "qwen3moe", "llama"]:
    for pr in os.environ["PRESETS"].split():
        f = "%s-%s.gguf" % (a, pr)
        info = subprocess.run([L, "generate", f, "--info"], capture_output=True, text=True).stdout
        types = collections.Counter(re.findall(r"^\s+\S+\s+(F16|BF16|Q\w+|IQ\w+)\s", info, re.M))
        subprocess.run([L, "generate", f, "-p", P, "-n", "0", "-t", "1", "-q", "--dump-logits",
                        "l.f32"], check=True, capture_output=True)
        subprocess.run(["/tmp/llama_logits", f, P, "r.f32"], check=True, capture_output=True)
        g1 = subprocess.run([L, "generate", f, "-p", P, "-n", "32", "-t", "1", "-q"],
                            capture_output=True).stdout.rstrip(b"\n")
        g2 = subprocess.run(["/tmp/llama_logits", f, P, "r2.f32", "32"], capture_output=True).stdout
        toks = subprocess.run(["/usr/bin/python3", W + "/tests/ref_forward.py", "tokenize", f,
                               "p.txt"], capture_output=True, text=True).stdout.strip()
        subprocess.run(["/usr/bin/python3", W + "/tests/ref_forward.py", "logits", f, toks, "o.bin"],
                       check=True)
        l = np.fromfile("l.f32", dtype=np.float32)
        r = np.fromfile("r.f32", dtype=np.float32)
        ref = np.fromfile("o.bin", dtype=np.float32)[-len(l):].astype(np.float64)
        s = np.abs(ref).max()

        def rel(x, y):
            return np.abs(x.astype(np.float64) - y).max() / s
        t1 = "yes" if l.argmax() == r.argmax() else "no (reference: %s)" % (
            "llmbo's" if l.argmax() == ref.argmax() else
            "llama.cpp's" if r.argmax() == ref.argmax() else "neither")
        ty = " ".join("%s:%d" % kv for kv in sorted(types.items()))
        print("| %s | %s | %.1e | %.1e | %.1e | %s | %s | %s |" % (
            a, pr, rel(l, ref), rel(r, ref), rel(l, r), t1, "same" if g1 == g2 else "differ", ty),
            flush=True)
PYEOF
