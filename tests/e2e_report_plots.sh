#!/usr/bin/env bash
# e2e_report_plots.sh: the plots a user looks for. (1) `llmbo report RUN_DIR` of one run:
# report.md states the journal's best value exactly, best.svg and params.svg are well-formed XML
# (parsed with xml.etree) with one panel per parameter. (2) A bench whose two LLM strategies are
# identical (same advisor against the loopback server): cost-branin.svg, regret against
# cumulative dollars, draws both curves with the same points but different widths and dash
# patterns (the one on top never hides the other), and no two labels overlap each other or the
# legend (boxes recomputed from the SVG's label positions). (3) A bench without any advisor
# cost: no cost plot, a note in report.md instead.
set -euo pipefail
E2E_FAIL_FAST=1
. "$(dirname "$0")/lib.sh"

# ---- 1. one run --------------------------------------------------------------------------------
cat > "$WORK/run.json" <<'EOF'
{"objective": "hartmann3", "budget": 14, "strategy": "gp", "seed": 7, "init": {"n": 6}}
EOF
"$BIN" run "$WORK/run.json" --out "$WORK/run" -q > /dev/null || fail "llmbo run"
"$BIN" report "$WORK/run" --no-png -q || fail "llmbo report RUN_DIR"
"$PY" - "$WORK/run" <<'EOF' || fail "single-run report"
import json, re, sys
import xml.etree.ElementTree as ET
d = sys.argv[1]
lines = [json.loads(l) for l in open(d + "/journal.jsonl")]
ys = [l["y"] for l in lines if l["status"] == "ok"]
md = open(d + "/report.md").read()
m = re.search(r"best value: (\S+) at evaluation (\d+)", md)
if not m:
    sys.exit("report.md has no best value")
best, at = float(m.group(1)), int(m.group(2))
if best != min(ys) or lines[at - 1]["y"] != best:
    sys.exit("report.md best %r at %d, journal min %r" % (best, at, min(ys)))
m = re.search(r"best parameters: `([^`]*)`", md)
if not m or json.loads(m.group(1)) != lines[at - 1]["x"]:
    sys.exit("report.md's best parameters differ from the journal's: %s" % (m and m.group(1)))
ns = "{http://www.w3.org/2000/svg}"
best_svg = ET.parse(d + "/best.svg").getroot()
params = ET.parse(d + "/params.svg").getroot()
panels = params.findall(".//" + ns + "clipPath")
if len(panels) != len(lines[0]["xv"]):
    sys.exit("params.svg has %d panels for %d parameters" % (len(panels), len(lines[0]["xv"])))
titles = [t.text for t in params.iter(ns + "text")]
for name in lines[0]["x"]:
    if name not in titles:
        sys.exit("params.svg lacks the panel of %s" % name)
print("PASS: one run: report.md best %.17g at evaluation %d = the journal's min; best.svg and "
      "params.svg well-formed, %d panels" % (best, at, len(panels)))
EOF

# ---- 2. a bench with advisor costs and two identical LLM strategies -----------------------------
start_server '{"default": {"style": "reasoning_content"}}'
ADV="{\"backend\": \"openai\", \"model\": \"m\", \"base_url\": \"http://127.0.0.1:$PORT/v1\", \"api_key_env\": null, \"price\": {\"input\": 2.385, \"output\": 9.75}, \"mode\": \"propose\"}"
cat > "$WORK/bench.json" <<EOF
{"name": "cost plot", "seeds": 2, "budget": 10, "init": {"n": 5}, "objectives": ["branin"],
 "strategies": [
  {"name": "random", "strategy": "random"},
  {"name": "gp-ei", "strategy": "gp", "acquisition": "ei"},
  {"name": "llm-a", "strategy": "gp+llm", "advisor": $ADV},
  {"name": "llm-b-same", "strategy": "gp+llm", "advisor": $ADV}
 ]}
EOF
"$BIN" bench "$WORK/bench.json" -j 2 --out "$WORK/b" -q > /dev/null || fail "bench with an advisor"
"$BIN" report "$WORK/b" --no-png -q || fail "report of the bench"
"$PY" - "$WORK/b" <<'EOF' || fail "cost plot"
import sys
import xml.etree.ElementTree as ET
d = sys.argv[1]
ns = "{http://www.w3.org/2000/svg}"
md = open(d + "/report.md").read()
if "(cost-branin.svg)" not in md:
    sys.exit("report.md does not show cost-branin.svg")
root = ET.parse(d + "/cost-branin.svg").getroot()
# The two identical strategies' curves: same points, different colour, width and dash.
lines = [p for p in root.iter(ns + "polyline") if float(p.get("stroke-width")) >= 2.0]
by_points = {}
for p in lines:
    by_points.setdefault(p.get("points"), []).append(p)
pairs = [v for v in by_points.values() if len(v) >= 2]
if not pairs:
    sys.exit("the identical strategies' curves were not found twice")
a, b = pairs[0][:2]
if a.get("stroke") == b.get("stroke") or float(a.get("stroke-width")) <= float(b.get("stroke-width")) \
        or a.get("stroke-dasharray") == b.get("stroke-dasharray"):
    sys.exit("identical curves drawn alike: %s / %s" % (a.attrib, b.attrib))
# Label boxes as svg.c computes them: 0.6 em per character + 2 px, 14 px high, the text's
# baseline 4 px above the box's bottom, 1 px right of its left edge.
boxes = []
for t in root.iter(ns + "text"):
    if t.get("class") != "label":
        continue
    x, y, size = float(t.get("x")), float(t.get("y")), float(t.get("font-size"))
    w = 0.6 * size * len(t.text) + 2
    boxes.append((t.text, x - 1, y + 4 - (size + 3), w, size + 3))
names = [b[0] for b in boxes]
for want in ("llm-a", "llm-b-same", "random (no advisor cost)", "gp-ei (no advisor cost)"):
    if want not in names:
        sys.exit("no label %r (labels: %s)" % (want, names))
legend = [r for r in root.iter(ns + "rect") if r.get("fill-opacity") == "0.88"]
obstacles = [("legend", float(r.get("x")), float(r.get("y")), float(r.get("width")),
              float(r.get("height"))) for r in legend]
def overlap(p, q):
    return p[1] < q[1] + q[3] and q[1] < p[1] + p[3] and p[2] < q[2] + q[4] and q[2] < p[2] + p[4]
for i, p in enumerate(boxes):
    for q in boxes[:i] + obstacles:
        if overlap(p, q):
            sys.exit("labels overlap: %s and %s" % (p, q))
for f in ("regret-branin.svg", "pareto-branin.svg", "pareto-overall.svg"):
    ET.parse(d + "/" + f)
print("PASS: cost plot: identical curves drawn with widths %s/%s, dashes %r/%r; %d labels, no two "
      "overlapping, none over the legend; every SVG well-formed" % (a.get("stroke-width"),
      b.get("stroke-width"), a.get("stroke-dasharray"), b.get("stroke-dasharray"), len(boxes)))
EOF

# ---- 3. a bench without any advisor cost --------------------------------------------------------
cat > "$WORK/free.json" <<'EOF'
{"seeds": 2, "budget": 8, "init": {"n": 4}, "objectives": ["branin"],
 "strategies": [{"name": "random", "strategy": "random"}, {"name": "gp", "strategy": "gp"}]}
EOF
"$BIN" bench "$WORK/free.json" --out "$WORK/free" -q > /dev/null || fail "bench without advisor"
"$BIN" report "$WORK/free" --no-png -q || fail "report without advisor"
ls "$WORK"/free/cost-*.svg > /dev/null 2>&1 && fail "a cost plot without any cost"
grep -q "No plot of regret against cost: no strategy has an advisor cost" "$WORK/free/report.md" ||
    fail "no note instead of the cost plot"
pass "no advisor cost: no cost plot, a note in report.md"
echo "e2e_report_plots: all checks passed"
