#!/usr/bin/env python3
"""Independent numpy reference for llmbo's built-in objectives, written from the published
formulas (Surjanovic & Bingham's Virtual Library of Simulation Experiments; BoTorch's constants
for Hartmann and Shekel) and from the model descriptions in docs/objectives.md, not from the C.

Reads lines from stdin and prints one value per "eval" line with 17 significant digits:
    NAME D X1 ... XD              evaluate NAME at x
    dataset krr N XTR.. YTR.. M XVA.. YVA..   the krr dataset (the C side generates it with GSL)
"""
import sys

import numpy as np
from scipy.integrate import solve_ivp

PI = np.pi


def ackley(x):
    d = len(x)
    return (-20 * np.exp(-0.2 * np.sqrt(np.sum(x**2) / d)) - np.exp(np.sum(np.cos(2 * PI * x)) / d)
            + 20 + np.e)


def levy(x):
    w = 1 + (x - 1) / 4
    head = np.sin(PI * w[0])**2
    mid = np.sum((w[:-1] - 1)**2 * (1 + 10 * np.sin(PI * w[:-1] + 1)**2))
    tail = (w[-1] - 1)**2 * (1 + np.sin(2 * PI * w[-1])**2)
    return head + mid + tail


def rosenbrock(x):
    return np.sum(100 * (x[1:] - x[:-1]**2)**2 + (x[:-1] - 1)**2)


def griewank(x):
    i = np.arange(1, len(x) + 1)
    return np.sum(x**2) / 4000 - np.prod(np.cos(x / np.sqrt(i))) + 1


def rastrigin(x):
    return 10 * len(x) + np.sum(x**2 - 10 * np.cos(2 * PI * x))


def michalewicz(x):
    i = np.arange(1, len(x) + 1)
    return -np.sum(np.sin(x) * np.sin(i * x**2 / PI)**20)


def styblinski_tang(x):
    return 0.5 * np.sum(x**4 - 16 * x**2 + 5 * x)


def dixon_price(x):
    i = np.arange(2, len(x) + 1)
    return (x[0] - 1)**2 + np.sum(i * (2 * x[1:]**2 - x[:-1])**2)


def powell(x):
    b = x.reshape(-1, 4)
    return np.sum((b[:, 0] + 10 * b[:, 1])**2 + 5 * (b[:, 2] - b[:, 3])**2
                  + (b[:, 1] - 2 * b[:, 2])**4 + 10 * (b[:, 0] - b[:, 3])**4)


def zakharov(x):
    s = np.sum(0.5 * np.arange(1, len(x) + 1) * x)
    return np.sum(x**2) + s**2 + s**4


def sphere(x):
    return np.sum(x**2)


def sum_squares(x):
    return np.sum(np.arange(1, len(x) + 1) * x**2)


def schwefel(x):
    return 418.9829 * len(x) - np.sum(x * np.sin(np.sqrt(np.abs(x))))


def trid(x):
    return np.sum((x - 1)**2) - np.sum(x[1:] * x[:-1])


def branin(x):
    b, c, r, s, t = 5.1 / (4 * PI**2), 5 / PI, 6, 10, 1 / (8 * PI)
    return (x[1] - b * x[0]**2 + c * x[0] - r)**2 + s * (1 - t) * np.cos(x[0]) + s


HART_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
HART3_A = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])
HART3_P = 1e-4 * np.array([[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547],
                           [381, 5743, 8828]])
HART6_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
                    [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
HART6_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                           [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]])


def hartmann(A, P):
    return lambda x: -np.sum(HART_ALPHA * np.exp(-np.sum(A * (x - P)**2, axis=1)))


SHEKEL_C = np.array([[4, 4, 4, 4], [1, 1, 1, 1], [8, 8, 8, 8], [6, 6, 6, 6], [3, 7, 3, 7],
                     [2, 9, 2, 9], [5, 3, 5, 3], [8, 1, 8, 1], [6, 2, 6, 2], [7, 3.6, 7, 3.6]])
SHEKEL_B = np.array([1, 2, 2, 4, 4, 6, 3, 7, 5, 5]) / 10


def shekel(m):
    return lambda x: -np.sum(1 / (np.sum((x - SHEKEL_C[:m])**2, axis=1) + SHEKEL_B[:m]))


def six_hump_camel(x):
    a, b = x
    return (4 - 2.1 * a**2 + a**4 / 3) * a**2 + a * b + (-4 + 4 * b**2) * b**2


def three_hump_camel(x):
    a, b = x
    return 2 * a**2 - 1.05 * a**4 + a**6 / 6 + a * b + b**2


def goldstein_price(x):
    a, b = x
    f1 = 1 + (a + b + 1)**2 * (19 - 14 * a + 3 * a**2 - 14 * b + 6 * a * b + 3 * b**2)
    f2 = 30 + (2 * a - 3 * b)**2 * (18 - 32 * a + 12 * a**2 + 48 * b - 36 * a * b + 27 * b**2)
    return f1 * f2


def beale(x):
    a, b = x
    return (1.5 - a + a * b)**2 + (2.25 - a + a * b**2)**2 + (2.625 - a + a * b**3)**2


def booth(x):
    a, b = x
    return (a + 2 * b - 7)**2 + (2 * a + b - 5)**2


def cosine8(x):
    return np.sum(0.1 * np.cos(5 * PI * x) - x**2)


def drop_wave(x):
    r = np.hypot(x[0], x[1])
    return -(1 + np.cos(12 * r)) / (0.5 * r**2 + 2)


def eggholder(x):
    a, b = x
    return -(b + 47) * np.sin(np.sqrt(abs(b + a / 2 + 47))) - a * np.sin(np.sqrt(abs(a - (b + 47))))


def holder_table(x):
    a, b = x
    return -abs(np.sin(a) * np.cos(b) * np.exp(abs(1 - np.hypot(a, b) / PI)))


def bukin6(x):
    a, b = x
    return 100 * np.sqrt(abs(b - 0.01 * a**2)) + 0.01 * abs(a + 10)


def levy13(x):
    a, b = x
    return (np.sin(3 * PI * a)**2 + (a - 1)**2 * (1 + np.sin(3 * PI * b)**2)
            + (b - 1)**2 * (1 + np.sin(2 * PI * b)**2))


def matyas(x):
    a, b = x
    return 0.26 * (a**2 + b**2) - 0.48 * a * b


def mccormick(x):
    a, b = x
    return np.sin(a + b) + (a - b)**2 - 1.5 * a + 2.5 * b + 1


def easom(x):
    a, b = x
    return -np.cos(a) * np.cos(b) * np.exp(-((a - PI)**2 + (b - PI)**2))


def pid(x):
    """Unit step response of K e^{-theta s} / ((tau1 s + 1)(tau2 s + 1)) under a sampled PID
    controller (docs/objectives.md): IAE + 5 * overshoot."""
    kp, ki, kd = x
    K, tau1, tau2, dt, steps, delay, tf, umax = 2.0, 1.5, 0.5, 0.01, 2000, 30, 0.05, 5.0

    def plant(s, u):
        return np.array([(K * u - s[0]) / tau1, (s[0] - s[1]) / tau2])

    s = np.zeros(2)
    history = [0.0] * delay  # controller outputs, oldest first
    integral = dfilt = yprev = iae = ymax = 0.0
    for _ in range(steps):
        y = s[1]
        e = 1 - y
        dfilt = (tf * dfilt + (y - yprev)) / (tf + dt)
        yprev = y
        trial = integral + e * dt
        u = kp * e + ki * trial - kd * dfilt
        if abs(u) > umax and u * e > 0:
            u = kp * e + ki * integral - kd * dfilt
        else:
            integral = trial
        u = min(max(u, -umax), umax)
        ud = history.pop(0)
        history.append(u)
        k1 = plant(s, ud)
        k2 = plant(s + dt / 2 * k1, ud)
        k3 = plant(s + dt / 2 * k2, ud)
        k4 = plant(s + dt * k3, ud)
        s = s + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        iae += abs(e) * dt
        ymax = max(ymax, s[1])
    return iae + 5 * max(0.0, ymax - 1)


def reaction(x):
    """Yield (%) of B for A -> B, B -> C, 2A -> D with Arrhenius rates (docs/objectives.md),
    integrated with scipy's DOP853."""
    temp_c, tend, c0, load = x
    R, Tref = 8.314462618, 353.15
    T = temp_c + 273.15
    eff = load / (1 + (load / 6.0)**2)

    def arr(kref, ea):
        return kref * np.exp(-ea / R * (1 / T - 1 / Tref))

    k1, k2, k3 = eff * arr(0.05, 65e3), eff * arr(0.004, 90e3), arr(0.05, 35e3)

    def rhs(t, c):
        a, b = c
        return [-k1 * a - 2 * k3 * a * a, k1 * a - k2 * b]

    sol = solve_ivp(rhs, (0, tend), [c0, 0.0], method="DOP853", rtol=1e-13, atol=1e-15)
    return 100 * sol.y[1, -1] / c0


KRR = {}


def krr(x):
    lam, ell = x
    xtr, ytr, xva, yva = KRR["xtr"], KRR["ytr"], KRR["xva"], KRR["yva"]

    def kern(a, b):
        return np.exp(-(a[:, None] - b[None, :])**2 / (2 * ell**2))

    alpha = np.linalg.solve(kern(xtr, xtr) + lam * np.eye(len(xtr)), ytr)
    pred = kern(xva, xtr) @ alpha
    return np.sqrt(np.mean((pred - yva)**2))


FUNCS = {
    "ackley": ackley, "levy": levy, "rosenbrock": rosenbrock, "griewank": griewank,
    "rastrigin": rastrigin, "michalewicz": michalewicz, "styblinski_tang": styblinski_tang,
    "dixon_price": dixon_price, "powell": powell, "zakharov": zakharov, "sphere": sphere,
    "sum_squares": sum_squares, "schwefel": schwefel, "trid": trid, "branin": branin,
    "hartmann3": hartmann(HART3_A, HART3_P), "hartmann6": hartmann(HART6_A, HART6_P),
    "shekel5": shekel(5), "shekel7": shekel(7), "shekel10": shekel(10),
    "six_hump_camel": six_hump_camel, "three_hump_camel": three_hump_camel,
    "goldstein_price": goldstein_price, "beale": beale, "booth": booth, "cosine8": cosine8,
    "drop_wave": drop_wave, "eggholder": eggholder, "holder_table": holder_table,
    "bukin6": bukin6, "levy13": levy13, "matyas": matyas, "mccormick": mccormick, "easom": easom,
    "pid": pid, "reaction": reaction, "krr": krr,
}


def main():
    for line in sys.stdin:
        tok = line.split()
        if not tok:
            continue
        if tok[0] == "dataset":
            v = [float(t) for t in tok[3:]]
            n = int(tok[2])
            KRR["xtr"], KRR["ytr"] = np.array(v[:n]), np.array(v[n:2 * n])
            m = int(v[2 * n])
            rest = v[2 * n + 1:]
            KRR["xva"], KRR["yva"] = np.array(rest[:m]), np.array(rest[m:2 * m])
            continue
        name = tok[0].split(":")[0]
        d = int(tok[1])
        x = np.array([float(t) for t in tok[2:2 + d]])
        print("%.17g" % FUNCS[name](x))


if __name__ == "__main__":
    main()
