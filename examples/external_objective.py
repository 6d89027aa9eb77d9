#!/usr/bin/env python3
"""A toy external objective for llmbo (see examples/external.json and docs/objectives.md).

llmbo writes one line of JSON on stdin, {"temperature": 63.5, "stirring": 400, "solvent":
"ethanol"}, and reads the value from stdout: here {"value": yield_percent}. Diagnostics go to
stderr. A failed experiment is reported by a non-zero exit status: llmbo records the evaluation
as failed, with the reason and the end of stderr, and the run continues.
"""
import json
import math
import sys

p = json.load(sys.stdin)
t, rpm, solvent = p["temperature"], p["stirring"], p["solvent"]
boiling = {"water": 100.0, "ethanol": 78.0, "toluene": 111.0}[solvent]
if t > boiling:
    print(f"solvent {solvent} boils at {boiling} degC, run at {t:.1f} degC failed", file=sys.stderr)
    sys.exit(3)
best_t = {"water": 70.0, "ethanol": 60.0, "toluene": 85.0}[solvent]
scale = {"water": 0.8, "ethanol": 0.95, "toluene": 0.7}[solvent]
mixing = 1 - math.exp(-rpm / 300.0)
yield_pct = 100 * scale * mixing * math.exp(-((t - best_t) / 15.0) ** 2)
print(json.dumps({"value": yield_pct}))
