#!/usr/bin/env python3
"""fail_objectives.py KIND: an external objective for llmbo (one JSON line of x1..xd on stdin, the
value on stdout) that fails (exit 3) in a region away from its optimum, so that runs have failed
evaluations (hidden constraints). KIND: h6box (hartmann6, fails where x1 > 0.8 or x5 > 0.85),
h6ball (hartmann6, fails within 0.5 of (0.65, ..., 0.65)), h3 (hartmann3, fails where x3 < 0.2),
branin (branin on [-5, 10] x [0, 15], fails where x1 + x2 > 14). The optima (hartmann6
-3.32236801141551, hartmann3 -3.86277978733266, branin 0.397887357729738) are feasible.
perf/run_face_failures.sh uses it (perf/results/suite.md, "face_mean after failures")."""
import json, math, sys
kind = sys.argv[1]
x = json.loads(sys.stdin.readline())
def h6(v):
    A = [[10,3,17,3.5,1.7,8],[0.05,10,17,0.1,8,14],[3,3.5,1.7,10,17,8],[17,8,0.05,10,0.1,14]]
    P = [[1312,1696,5569,124,8283,5886],[2329,4135,8307,3736,1004,9991],[2348,1451,3522,2883,3047,6650],[4047,8828,8732,5743,1091,381]]
    al = [1.0,1.2,3.0,3.2]
    return -sum(al[i]*math.exp(-sum(A[i][j]*(v[j]-P[i][j]*1e-4)**2 for j in range(6))) for i in range(4))
def h3(v):
    A = [[3,10,30],[0.1,10,35],[3,10,30],[0.1,10,35]]
    P = [[3689,1170,2673],[4699,4387,7470],[1091,8732,5547],[381,5743,8828]]
    al = [1.0,1.2,3.0,3.2]
    return -sum(al[i]*math.exp(-sum(A[i][j]*(v[j]-P[i][j]*1e-4)**2 for j in range(3))) for i in range(4))
def br(a, b):
    return (b - 5.1/(4*math.pi**2)*a*a + 5/math.pi*a - 6)**2 + 10*(1 - 1/(8*math.pi))*math.cos(a) + 10
if kind == "h6box":
    v = [x[f"x{i}"] for i in range(1, 7)]
    if v[0] > 0.8 or v[4] > 0.85: sys.exit(3)
    y = h6(v)
elif kind == "h6ball":
    v = [x[f"x{i}"] for i in range(1, 7)]
    if sum((t - 0.65)**2 for t in v) < 0.25: sys.exit(3)
    y = h6(v)
elif kind == "h3":
    v = [x[f"x{i}"] for i in range(1, 4)]
    if v[2] < 0.2: sys.exit(3)
    y = h3(v)
elif kind == "branin":
    a, b = x["x1"], x["x2"]
    if a + b > 14: sys.exit(3)
    y = br(a, b)
print(repr(y))
