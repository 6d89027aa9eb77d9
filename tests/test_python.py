"""test_python.py: the Python package (python/llmbo) and its Optuna sampler, under Debian's
/usr/bin/python3 with python3-optuna. Run by ctest with LLMBO_LIB (the shared library),
LLMBO_PY_DRIVER (tests/py_asktell_driver.c) and PYTHONPATH=python set.

Independent truths: the C driver's ask/tell run (same seed, same points bit for bit), the
public header's struct layout as the C compiler sees it, a numpy closed form of the GP posterior
at the GP's own hyperparameters, the objectives' known optima, and Optuna's own distributions."""

import math
import os
import subprocess
import sys
import unittest

import numpy as np

import llmbo
import llmbo._lib as L
import optuna
from llmbo.advisor import Advisor
from llmbo.optuna import LlmboSampler

optuna.logging.set_verbosity(optuna.logging.ERROR)
DRIVER = os.environ.get("LLMBO_PY_DRIVER")

MIXED_SPACE = [llmbo.Continuous("a", -2, 3, unit="m", description="a length"),
               llmbo.Integer("n", 1, 9), llmbo.Log("lr", 1e-4, 1, description="a rate"),
               llmbo.Categorical("c", ["red", "green", "blue"])]


def mixed(x):  # the driver's made-up function, the same arithmetic in the same order
    a, n, l = x[0] - 0.7, x[1] - 4, math.log10(x[2]) + 2
    return a * a + 0.3 * n * n + l * l + (0.0, 0.5, 1.5)[int(x[3])]


def driver(*args):
    out = subprocess.run([DRIVER] + [str(a) for a in args], check=True, capture_output=True,
                         text=True)
    return out.stdout.splitlines()


def layout_mismatches():
    """The public structs' sizes and member offsets as the C compiler sees them (the driver's
    `layout`) against python/llmbo/_lib.py's ctypes mirrors; a list of differences."""
    import ctypes
    c = {}
    for line in driver("layout"):
        k, v = line.split()
        c[k] = int(v)
    bad = []
    for name, cls in (("llmbo_bo_options", L.llmbo_bo_options), ("llmbo_param", L.llmbo_param),
                      ("llmbo_gp_options", L.llmbo_gp_options), ("llmbo_cost", L.llmbo_cost),
                      ("llmbo_bo_stats", L.llmbo_bo_stats), ("llmbo_error", L.llmbo_error)):
        if ctypes.sizeof(cls) != c[name]:
            bad.append("sizeof %s: C %d, Python %d" % (name, c[name], ctypes.sizeof(cls)))
        for key, off in c.items():
            if key.startswith(name + "."):
                py = getattr(cls, key.split(".")[1]).offset
                if py != off:
                    bad.append("offsetof %s: C %d, Python %d" % (key, off, py))
    return bad


class TestLayout(unittest.TestCase):
    def test_structs_match_the_header(self):
        self.assertEqual(layout_mismatches(), [])


class TestParity(unittest.TestCase):
    """Python's Optimizer and the C loop, same options and seed: the same points, bit for bit."""

    def run_python(self, space, f, options, rounds, q, fail_every, maximize=False):
        opt = llmbo.Optimizer(space, maximize=maximize, **options)
        lines = []
        for _ in range(rounds):
            for t in opt.ask(q):
                failed = fail_every > 0 and t.id % fail_every == fail_every - 1
                y = None if failed else f(t.x)
                opt.tell(t, y, failed=failed)
                lines.append((t.id, t.source, t.x, y))
        return opt, lines

    def compare(self, c_lines, py_lines):
        self.assertEqual(len(c_lines), len(py_lines))
        for cl, (i, src, x, y) in zip(c_lines, py_lines):
            f = cl.split()
            self.assertEqual(int(f[0]), i)
            self.assertEqual(f[1], src)
            cx = [float.fromhex(v) for v in f[2:2 + len(x)]]
            self.assertEqual(cx, list(x), "id %d" % i)  # exact equality, every bit
            if f[-1] == "failed":
                self.assertIsNone(y)
            else:
                self.assertEqual(float.fromhex(f[-1]), y)

    def test_branin_default_options(self):
        obj = llmbo.Objective("branin")
        opts = {"seed": 7, "budget": 14}
        _, py = self.run_python(obj.space, obj, opts, 14, 1, 0)
        self.compare(driver("branin", '{"seed": 7, "budget": 14}', 14, 1, 0), py)
        self.assertTrue(any(s == "gp" for _, s, _, _ in py))

    def test_mixed_space_batches_failures_and_options(self):
        opts = {"seed": 5, "acquisition": "ei", "init": {"design": "lhs", "n": 5},
                "pending": "cl_mean", "gp": {"kernel": "matern32"}}
        import json
        opt, py = self.run_python(MIXED_SPACE, mixed, opts, 7, 2, 5)
        self.compare(driver("mixed", json.dumps(opts), 7, 2, 5), py)
        self.assertEqual(opt.n_failed, 2)
        self.assertEqual(opt.n_told, 14)
        self.assertEqual(opt.n_pending, 0)

    def test_hartmann3_ucb_batch_of_three(self):
        obj = llmbo.Objective("hartmann3")
        opts = {"seed": 11, "acquisition": "ucb", "budget": 15, "batch": 3}
        _, py = self.run_python(obj.space, obj, opts, 5, 3, 4)
        self.compare(driver("hartmann3", '{"seed": 11, "acquisition": "ucb", "budget": 15}', 5,
                            3, 4), py)

    def test_same_config_as_llmbo_run(self):
        """A run config's loop keys given to the Optimizer: the points of `llmbo run`'s journal."""
        import json
        import tempfile
        cfg = {"budget": 12, "seed": 3, "acquisition": "ei", "init": {"design": "lhs", "n": 4},
               "gp": {"kernel": "matern32", "restarts": 2}, "batch": 2, "pending": "cl_min"}
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "run.json"), "w") as fh:
                json.dump(dict(cfg, objective="hartmann3"), fh)
            subprocess.run([os.environ["LLMBO_BIN"], "run", os.path.join(d, "run.json"), "--out",
                            os.path.join(d, "out"), "-q"], check=True, capture_output=True)
            with open(os.path.join(d, "out", "journal.jsonl")) as fh:
                journal = [json.loads(line) for line in fh if line.strip()]
        obj = llmbo.Objective("hartmann3")
        res = llmbo.minimize(obj, obj.space, problem=obj.description, **cfg)
        self.assertEqual([(h["id"], h["source"]) for h in res.history],
                         [(j["id"], j["source"]) for j in journal])
        self.assertEqual([list(obj.space.vector(h["params"])) for h in res.history],
                         [j["xv"] for j in journal])


class TestSpace(unittest.TestCase):
    def test_every_type_with_names_units_descriptions(self):
        s = llmbo.Space(MIXED_SPACE)
        self.assertEqual(len(s), 4)
        self.assertEqual(s.names, ["a", "n", "lr", "c"])
        self.assertEqual(s["a"].unit, "m")
        self.assertEqual(s["lr"].description, "a rate")
        self.assertEqual(s["c"].choices, ("red", "green", "blue"))
        self.assertEqual([p.type_name for p in s], ["continuous", "integer", "log", "categorical"])
        u = s.to_unit({"a": 0.5, "n": 5, "lr": 1e-2, "c": "blue"})
        self.assertAlmostEqual(u[0], 2.5 / 5, places=15)
        self.assertAlmostEqual(u[2], 0.5, places=15)  # log10: -2 is half-way in [-4, 0]
        x = s.from_unit(u)
        self.assertEqual(s.point(x), {"a": 0.5, "n": 5, "lr": x[2], "c": "blue"})
        self.assertAlmostEqual(x[2], 1e-2, places=15)

    def test_bad_spaces_raise_value_error_naming_the_parameter(self):
        cases = [
            ([llmbo.Continuous("a", 1, 0)], "a"),
            ([llmbo.Continuous("a", 0, 1), llmbo.Integer("a", 0, 3)], "duplicate"),
            ([llmbo.Log("lr", 0, 1)], "lr"),
            ([llmbo.Categorical("c", [])], "params[0]"),
            ([llmbo.Categorical("c", ["x", 3])], "params[0].choices[1]"),
            ([llmbo.Continuous("a\0b", 0, 1)], "NUL"),
            ([llmbo.Continuous("a", "zero", 1)], "params[0]"),
            ([llmbo.Continuous("a", float("nan"), 1)], "a"),
            ([llmbo.Continuous("", 0, 1)], "name"),
            ([42], "params[0]"),
            ("abc", "space"),
        ]
        for params, want in cases:
            with self.assertRaises(ValueError, msg=repr(params)) as cm:
                llmbo.Space(params)
            self.assertIn(want, str(cm.exception))
        s = llmbo.Space(MIXED_SPACE)
        for point, want in [({"a": 0, "n": 1, "lr": 0.1}, "missing parameter 'c'"),
                            ({"a": 0, "n": 1, "lr": 0.1, "c": "red", "z": 1}, "unknown parameter"),
                            ({"a": 0, "n": 1, "lr": 0.1, "c": "pink"}, "x.c"),
                            ({"a": "x", "n": 1, "lr": 0.1, "c": "red"}, "x.a"),
                            ([0, 1, 0.1], "expected 4 values"),
                            ({"a": 9, "n": 1, "lr": 0.1, "c": "red"}, "a"),
                            ({"a": 0, "n": 1.5, "lr": 0.1, "c": "red"}, "n")]:
            with self.assertRaises(ValueError, msg=repr(point)) as cm:
                s.check(point)
            self.assertIn(want, str(cm.exception))


class TestObjectives(unittest.TestCase):
    def test_known_optima(self):
        names = llmbo.objectives()
        self.assertIn("branin", names)
        self.assertIn("hartmann6", names)
        for spec in ("branin", "hartmann6", "ackley:5"):
            obj = llmbo.Objective(spec)
            self.assertEqual(obj.name, spec)
            self.assertEqual(len(obj.space), obj.dim)
            self.assertTrue(obj.optimizers)
            for x in obj.optimizers:
                self.assertAlmostEqual(obj(x), obj.optimal_value, delta=1e-5)
        self.assertAlmostEqual(llmbo.Objective("branin").optimal_value, 0.397887, places=6)

    def test_bad_specs(self):
        for spec, want in (("nosuch", "nosuch"), ("ackley:0", "ackley"), (3, "objective")):
            with self.assertRaises(ValueError) as cm:
                llmbo.Objective(spec)
            self.assertIn(want, str(cm.exception))
        with self.assertRaises(ValueError):
            llmbo.Objective("branin")([1.0])


class TestGP(unittest.TestCase):
    def test_posterior_matches_numpy_closed_form(self):
        rng = np.random.default_rng(2385)
        X = rng.random((12, 3))
        y = np.sin(6 * X[:, 0]) + X[:, 1] ** 2 - 0.5 * X[:, 2]
        gp = llmbo.GP(3).fit(X.tolist(), y.tolist())
        th = np.array(gp.theta)
        ls, sf2, sn2 = np.exp(th[:3]), np.exp(th[3]), np.exp(th[4])
        mu, sd = y.mean(), y.std()
        ys = (y - mu) / sd

        def k(A, B):
            r = np.sqrt((((A[:, None, :] - B[None, :, :]) / ls) ** 2).sum(-1))
            return sf2 * (1 + math.sqrt(5) * r + 5 / 3 * r * r) * np.exp(-math.sqrt(5) * r)

        Xs = rng.random((5, 3))
        K = k(X, X) + sn2 * np.eye(12)
        ks = k(Xs, X)
        mean = mu + sd * ks @ np.linalg.solve(K, ys)
        var = sd ** 2 * (sf2 - np.einsum("ij,ji->i", ks, np.linalg.solve(K, ks.T)))
        m, v = gp.predict(Xs.tolist())
        np.testing.assert_allclose(m, mean, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(v, var, rtol=1e-5, atol=1e-9)
        h = gp.hyper
        np.testing.assert_allclose(h["lengthscales"], ls, rtol=1e-12)
        self.assertAlmostEqual(h["signal_var"], sf2 * sd ** 2, delta=1e-12 * sf2 * sd ** 2)
        draws = gp.sample(Xs.tolist(), 3, seed=4)
        self.assertEqual((len(draws), len(draws[0])), (3, 5))

    def test_bad_input(self):
        gp = llmbo.GP(2)
        with self.assertRaisesRegex(ValueError, "no data"):
            gp.predict([[0.5, 0.5]])
        for X, y, want in (([[0.1, 0.2]], [1, 2], "y"), ([[0.1]], [1], r"X\[0\]"),
                           ([[0.1, float("nan")]], [1], r"X\[0\]\[1\]"),
                           ([[0.1, 0.2]], [float("inf")], "y"), ([], [], "at least one")):
            with self.assertRaisesRegex(ValueError, want):
                gp.fit(X, y)
        for kw, want in (({"kernel": "rbf"}, "kernel"), ({"noise_floor": 2}, "noise_floor"),
                         ({"restarts": -1}, "restarts")):
            with self.assertRaisesRegex(ValueError, want):
                llmbo.GP(2, **kw)
        with self.assertRaisesRegex(ValueError, "d: "):
            llmbo.GP(0)


class TestOptimizer(unittest.TestCase):
    def test_bad_options_raise_value_error_with_the_key_path(self):
        sp = llmbo.Objective("branin").space
        cases = [({"acquisition": "eii"}, 'options: acquisition: unknown value "eii"'),
                 ({"gp": {"kernal": "se"}}, 'options: gp: unknown key "kernal"'),
                 ({"init": {"design": "grid"}}, "options: init.design: unknown value"),
                 ({"budget": 3, "init": {"n": 9}}, "options: init.n: expected at most the budget"),
                 ({"acq": {"xi": -1}}, "options: acq.xi"),
                 ({"seed": -4}, "options: seed"),
                 ({"batch": 0}, "options: batch"),
                 ({"strategy": "gp+llm"}, "options: advisor: missing"),
                 ({"objective": "branin"}, "options: objective: not a loop option"),
                 ({"acq": {"xi": float("nan")}}, "not finite"),
                 ({"gp": {"noise": object()}}, "options:")]
        for kw, want in cases:
            with self.assertRaises(ValueError, msg=repr(kw)) as cm:
                llmbo.Optimizer(sp, **kw)
            self.assertIn(want, str(cm.exception))
            self.assertIsInstance(cm.exception, llmbo.Error)

    def test_garbage_options_never_crash(self):
        """Every loop key with values of every JSON type (and a few that are not JSON): each
        either builds a loop that proposes a point or raises ValueError naming the key."""
        import random
        rng = random.Random(2385)
        sp = llmbo.Objective("branin").space
        keys = ["strategy", "acquisition", "seed", "init", "gp", "batch", "pending", "noisy",
                "acq", "budget", "advisor", "name", "description", "nosuch"]
        values = [None, True, 0, -1, 1, 2.5, 1e300, -1e300, 2 ** 62, "", "ei", "x" * 5000, [],
                  [1, "a"], {}, {"n": 3}, {"design": "lhs", "n": 0}, {"kernel": "se"},
                  {"xi": -0.5}, {"noise": "fit"}, {"noise": 0}, {"refit_every": 0},
                  {"backend": "nosuch"}, {"a": {"b": {"c": [[[]]]}}}, "\u00e9\u4e2d", float("inf")]
        for _ in range(300):
            kw = {k: rng.choice(values) for k in rng.sample(keys, rng.randint(1, 3))}
            try:
                opt = llmbo.Optimizer(sp, **kw)
            except ValueError as e:
                self.assertTrue(str(e).startswith("options"), str(e))
                continue
            (t,) = opt.ask(1)
            opt.tell(t, 1.0)

    def test_bad_asks_and_tells(self):
        opt = llmbo.Optimizer(llmbo.Objective("branin").space, seed=3)
        (t,) = opt.ask(1)
        for args, kw, want in (((99, 1.0), {}, "never asked"), ((t.id, None), {}, "value"),
                               ((t.id, float("nan")), {}, "non-finite"),
                               ((t.id, "1.0"), {}, "value"), (("0", 1.0), {}, "id"),
                               ((2 ** 70, 1.0), {}, "never asked")):
            with self.assertRaisesRegex(ValueError, want):
                opt.tell(*args, **kw)
        opt.tell(t, 3.25)
        with self.assertRaisesRegex(ValueError, "already told"):
            opt.tell(t.id, 1.0)
        for n in (0, -1, "2", 2.0, 10 ** 9):
            with self.assertRaisesRegex(ValueError, "ask: n"):
                opt.ask(n)
        self.assertEqual(opt.best.value, 3.25)
        self.assertEqual(opt.best.id, t.id)

    def test_minimize_with_failures(self):
        obj = llmbo.Objective("branin")

        def f(p):
            if p["x1"] > 8:
                return None  # the evaluation failed
            if p["x2"] > 14:
                raise ArithmeticError("simulated crash")
            return obj([p["x1"], p["x2"]])

        res = llmbo.minimize(f, obj.space, 30, seed=0, catch=(ArithmeticError,))
        failed = [h for h in res.history if h["failed"]]
        self.assertEqual(len(res.history), 30)
        self.assertEqual(res.optimizer.n_failed, len(failed))
        self.assertTrue(all(h["params"]["x1"] > 8 or h["params"]["x2"] > 14 for h in failed))
        self.assertLess(res.value - obj.optimal_value, 0.05)
        self.assertLessEqual(res.x["x1"], 8)
        with self.assertRaisesRegex(ValueError, "budget"):
            llmbo.minimize(f, obj.space, 0)
        # Nothing worked: said, with the first cause, not only a best of None.
        import warnings
        for g, cause in ((lambda p: float("nan"), "id 0 returned nan"),
                         (lambda p: 1 / 0, "id 0 raised ZeroDivisionError")):
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                res = llmbo.minimize(g, obj.space, 6, seed=1, catch=(ZeroDivisionError,))
            said = [str(x.message) for x in w if issubclass(x.category, RuntimeWarning)]
            self.assertIsNone(res.best)
            self.assertEqual(len(said), 1, said)
            self.assertIn("no evaluation succeeded (6 of 6 failed; the first: " + cause, said[0])
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            llmbo.minimize(f, obj.space, 8, seed=0, catch=(ArithmeticError,))
        self.assertEqual([x for x in w if issubclass(x.category, RuntimeWarning)], [])
        # A string is not a number, even one float() would read.
        with self.assertRaisesRegex(ValueError, "f returned '0.5' for id 0; expected a number"):
            llmbo.minimize(lambda p: "0.5", obj.space, 3)

    def test_minimize_maximises_mixed_space(self):
        res = llmbo.minimize(lambda p: -mixed(llmbo.Space(MIXED_SPACE).vector(p)), MIXED_SPACE,
                             25, maximize=True, seed=2, batch=2)
        self.assertEqual(len(res.history), 25)
        self.assertEqual(res.x["c"], "red")
        self.assertGreater(res.value, -0.5)  # optimum 0 at a=0.7, n=4, lr=1e-2, red


def mixed_objective(trial):
    """Every kind of Optuna parameter, plus a conditional one (sampled independently)."""
    a = trial.suggest_float("a", -2, 3)
    lr = trial.suggest_float("lr", 1e-4, 1, log=True)
    h = trial.suggest_float("h", 0, 1, step=0.25)
    n = trial.suggest_int("n", 1, 9)
    s = trial.suggest_int("s", 2, 20, step=3)
    w = trial.suggest_int("w", 1, 1024, log=True)
    c = trial.suggest_categorical("c", [None, 1, "blue", 2.5])
    extra = trial.suggest_float("extra", 0, 1) if c == "blue" else 0.0
    return ((a - 0.7) ** 2 + 0.3 * (n - 4) ** 2 + (math.log10(lr) + 2) ** 2 + (h - 0.5) ** 2
            + 0.01 * (s - 11) ** 2 + (math.log2(w) - 5) ** 2 / 10 + (0 if c == 1 else 0.5)
            + extra)


class TestSampler(unittest.TestCase):
    def test_every_parameter_type(self):
        sampler = LlmboSampler(seed=3)
        study = optuna.create_study(sampler=sampler)
        study.optimize(mixed_objective, n_trials=25)
        for t in study.trials:
            for name, value in t.params.items():
                self.assertTrue(t.distributions[name]._contains(
                    t.distributions[name].to_internal_repr(value)), (name, value))
            self.assertIsInstance(t.params["n"], int)
            self.assertIsInstance(t.params["w"], int)
            self.assertEqual((t.params["s"] - 2) % 3, 0)
            self.assertIn(t.params["h"], (0, 0.25, 0.5, 0.75, 1.0))
        sources = [t.system_attrs.get("llmbo:source") for t in study.trials]
        self.assertIsNone(sources[0])  # the first trial: independent sampling only
        self.assertIn("gp", sources)
        self.assertEqual(sampler.last_history["told"], 24)
        rnd = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
        rnd.optimize(mixed_objective, n_trials=25)
        self.assertLess(study.best_value, rnd.best_value)

    def test_failed_and_pruned_trials(self):
        sampler = LlmboSampler(seed=8)

        def objective(trial):
            x = trial.suggest_float("x", -3, 3)
            y = trial.suggest_float("y", -3, 3)
            if trial.number % 5 == 2:
                raise optuna.TrialPruned()
            if x > 2:
                return float("nan")  # Optuna records a failed trial
            if y < -2:
                raise ValueError("simulated crash")
            return (x - 1) ** 2 + (y - 0.5) ** 2

        study = optuna.create_study(sampler=sampler)
        study.optimize(objective, n_trials=30, catch=(ValueError,))
        states = [t.state for t in study.trials]
        n_fail = sum(s == optuna.trial.TrialState.FAIL for s in states[:-1])
        n_pruned = sum(s == optuna.trial.TrialState.PRUNED for s in states[:-1])
        self.assertGreater(n_pruned, 0)
        h = sampler.last_history
        self.assertEqual(h["failed"], n_fail)
        self.assertEqual(h["told"], 29 - n_pruned)
        self.assertEqual(h["pending"], 0)
        self.assertLess(study.best_value, 0.5)

    def test_running_trials_stay_pending(self):
        """Optuna's ask-and-tell: trials asked and not told are pending in the loop (the GP
        conditions on a fantasy there), so two open trials get different points."""
        sampler = LlmboSampler(seed=6)
        study = optuna.create_study(sampler=sampler)
        dist = {"x": optuna.distributions.FloatDistribution(-3, 3),
                "k": optuna.distributions.IntDistribution(0, 5)}
        for _ in range(6):
            t = study.ask(dist)
            study.tell(t, (t.params["x"] - 1) ** 2 + t.params["k"])
        open_trials = [study.ask(dist) for _ in range(3)]
        self.assertEqual(sampler.last_history, {"told": 6, "failed": 0, "pending": 2})
        points = [(t.params["x"], t.params["k"]) for t in open_trials]
        self.assertEqual(len(set(points)), 3)
        study.tell(open_trials[1], 0.5)
        study.ask(dist)
        self.assertEqual(sampler.last_history, {"told": 7, "failed": 0, "pending": 2})

    def test_continued_study_proposes_what_an_uninterrupted_one_would(self):
        def f(trial):
            return llmbo.Objective("branin")([trial.suggest_float("x1", -5, 10),
                                              trial.suggest_float("x2", 0, 15)])

        full = optuna.create_study(sampler=LlmboSampler(seed=21))
        full.optimize(f, n_trials=12)
        storage = optuna.storages.InMemoryStorage()
        part = optuna.create_study(sampler=LlmboSampler(seed=21), storage=storage,
                                   study_name="s")
        part.optimize(f, n_trials=6)
        again = optuna.load_study(study_name="s", storage=storage,
                                  sampler=LlmboSampler(seed=21))
        again.optimize(f, n_trials=6)
        self.assertEqual([t.params for t in full.trials], [t.params for t in again.trials])

    def test_maximize_direction_and_bad_options(self):
        study = optuna.create_study(direction="maximize", sampler=LlmboSampler(seed=1))
        study.optimize(lambda t: -(t.suggest_float("x", 0, 1) - 0.3) ** 2, n_trials=12)
        self.assertGreater(study.best_value, -1e-3)
        with self.assertRaisesRegex(ValueError, 'options: acquisition: unknown value "eii"'):
            LlmboSampler(acquisition="eii")
        with self.assertRaisesRegex(ValueError, "options: gp.restarts"):
            LlmboSampler(gp={"restarts": -2})
        multi = optuna.create_study(directions=["minimize", "minimize"],
                                    sampler=LlmboSampler(seed=1))
        with self.assertRaises(ValueError):
            multi.optimize(lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=2)



class TestAdvisor(unittest.TestCase):
    """GP + advisor: recorded against the scripted loopback server (tests/llm_server.py, a fake
    model, not an LLM), then replayed from the cassette without it: the same points bit for bit,
    advised points among them, the same cost."""

    def setUp(self):
        import tempfile
        self.dir = tempfile.mkdtemp(prefix="test_python_advisor.")
        script = os.path.join(self.dir, "script.json")
        with open(script, "w") as fh:
            fh.write('{"responses": [], "default": {"style": "fenced"}}')
        src = os.environ.get("LLMBO_SOURCE_DIR", os.path.join(os.path.dirname(__file__), ".."))
        self.server = subprocess.Popen([sys.executable, os.path.join(src, "tests",
                                                                     "llm_server.py"), script],
                                       stdout=subprocess.PIPE, text=True)
        self.port = int(self.server.stdout.readline().split()[1])

    def tearDown(self):
        import shutil
        if self.server.poll() is None:
            self.server.kill()
        self.server.wait()
        self.server.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def advisor(self, backend, mode="propose"):
        cassette = os.path.join(self.dir, "cassette-%s.jsonl" % mode)
        a = {"model": "py-test", "mode": mode, "price": {"input": 2.385, "output": 9.75}}
        if backend == "openai":
            a.update(backend="openai", base_url="http://127.0.0.1:%d/v1" % self.port,
                     api_key_env=None, record=cassette, timeout=10)
        else:
            a.update(backend="replay", cassette=cassette)
        return a

    def test_optimizer_record_then_replay(self):
        obj = llmbo.Objective("branin")

        def run(advisor):
            opt = llmbo.Optimizer(obj.space, problem=obj.description, seed=11, budget=10,
                                  init={"n": 4}, strategy="gp+llm", advisor=advisor)
            pts = []
            for _ in range(10):
                (t,) = opt.ask(1)
                opt.tell(t, obj(t.x))
                pts.append((t.x, t.source))
            return pts, opt.advisor_cost, opt.stats

        rec = run(self.advisor("openai"))
        self.server.kill()
        rep = run(self.advisor("replay"))
        self.assertEqual(rec[0], rep[0])  # every coordinate, every bit
        self.assertIn("llm", [s for _, s in rep[0]])
        self.assertEqual(rep[2]["consulted"], 6)
        self.assertEqual(rep[1]["calls"], 6)
        for k in ("calls", "prompt_tokens", "completion_tokens", "dollars", "valid"):
            self.assertEqual(rec[1][k], rep[1][k], k)
        self.assertGreater(rep[1]["prompt_tokens"], 0)

    def test_sampler_record_then_replay(self):
        def f(t):
            return (t.suggest_float("x", -3, 3) - 1) ** 2 + \
                (0.5 if t.suggest_categorical("c", ["a", "b"]) == "b" else 0.0)

        def run(advisor):
            s = LlmboSampler(seed=4, strategy="gp+llm", advisor=advisor, budget=12,
                             problem="a parabola")
            study = optuna.create_study(sampler=s)
            study.optimize(f, n_trials=12)
            return ([t.params for t in study.trials],
                    [t.system_attrs.get("llmbo:source") for t in study.trials], s.advisor_cost)

        rec = run(self.advisor("openai", "rank"))
        self.server.kill()
        rep = run(self.advisor("replay", "rank"))
        self.assertEqual(rec[0], rep[0])
        self.assertEqual(rec[1], rep[1])
        self.assertGreater(rep[2]["calls"], 0)
        self.assertEqual(rep[2]["valid"], rep[2]["calls"])
        self.assertIn("llm", rep[1])

    def test_advisor_failures_warn(self):
        # The server refuses the first 3 requests (400, not retried): the loop falls back on
        # them and says so once, where it happens; then a dead server fails every request.
        import warnings
        self.server.kill()
        self.server.wait()
        self.server.stdout.close()
        script = os.path.join(self.dir, "script.json")
        with open(script, "w") as fh:
            fh.write('{"responses": [{"status": 400, "body": "no"}, {"status": 400, "body": "no"},'
                     ' {"status": 400, "body": "no"}], "default": {}}')
        src = os.environ.get("LLMBO_SOURCE_DIR", os.path.join(os.path.dirname(__file__), ".."))
        self.server = subprocess.Popen([sys.executable, os.path.join(src, "tests",
                                                                     "llm_server.py"), script],
                                       stdout=subprocess.PIPE, text=True)
        self.port = int(self.server.stdout.readline().split()[1])
        obj = llmbo.Objective("branin")
        adv = dict(self.advisor("openai"), max_retries=0)
        opt = llmbo.Optimizer(obj.space, seed=3, budget=12, init={"n": 4}, strategy="gp+llm",
                              advisor=adv)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            for _ in range(12):
                (t,) = opt.ask(1)
                opt.tell(t, obj(t.x))
        said = [str(x.message) for x in w if issubclass(x.category, RuntimeWarning)]
        self.assertEqual(len(said), 1, said)  # once, not per ask
        self.assertIn("gave no usable advice for 1 of 1 requests so far", said[0])
        failed, asked = opt.advisor_failures
        self.assertEqual(failed, 3)
        self.assertEqual(asked, opt.stats["consulted"])
        self.assertEqual(opt.advisor_cost["errors"], 3)
        # minimize() with a server nobody listens on ("on_unreachable": "fallback")
        self.server.kill()
        self.server.wait()
        dead = dict(adv, on_unreachable="fallback")
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            res = llmbo.minimize(lambda p: obj(p), obj.space, 10, seed=3, init={"n": 4},
                                 strategy="gp+llm", advisor=dead)
        said = [str(x.message) for x in w if "llmbo.minimize" in str(x.message)]
        self.assertEqual(len(said), 1, [str(x.message) for x in w])
        self.assertIn("all of 6 advisor requests gave no usable advice", said[0])
        self.assertNotIn("llm", [h["source"] for h in res.history])

    def test_bad_advisor_objects(self):
        sp = llmbo.Objective("branin").space
        free = {"input": 0, "output": 0}
        for adv, want in (({"backend": "nosuch", "model": "m"}, "advisor.backend"),
                          ({"backend": "replay", "model": "m", "price": free}, "cassette"),
                          ({"backend": "replay", "model": "m", "price": free, "cassette": "c",
                            "mode": "rnk"}, "advisor.mode"),
                          ({"backend": "replay", "model": "m"}, "advisor.price"),
                          ({"backend": "replay", "model": "m", "price": free, "cassette": "c",
                            "every": 0}, "advisor.every")):
            with self.assertRaises(ValueError) as cm:
                llmbo.Optimizer(sp, strategy="gp+llm", advisor=adv)
            self.assertIn(want, str(cm.exception))
        with self.assertRaisesRegex(ValueError, "options: advisor: not used"):
            llmbo.Optimizer(sp, advisor={"backend": "replay"})
        # The pre-flight check (as llmbo run's): a server nobody listens on is named at once.
        self.server.kill()
        self.server.wait()
        down = self.advisor("openai")
        with self.assertRaisesRegex(ValueError, "127.0.0.1:%d" % self.port):
            llmbo.Optimizer(sp, strategy="gp+llm", advisor=down)
        open(os.path.join(self.dir, "cassette-propose.jsonl"), "w").close()
        a = Advisor(self.advisor("replay"))
        self.assertEqual((a.model, a.backend), ("py-test", "replay"))


if __name__ == "__main__":
    # A stale mirror would make the other tests write the wrong members, or crash: checked first.
    _bad = layout_mismatches()
    if _bad:
        sys.exit("test_python: python/llmbo/_lib.py's struct mirrors do not match include/llmbo.h "
                 "(update them): " + "; ".join(_bad))
    unittest.main(verbosity=2)
