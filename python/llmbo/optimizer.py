"""Ask/tell Bayesian optimisation over a Space (the C loop, llmbo_bo), and minimize() for the
one-liner. Options are the run config's loop keys (docs/config.md) given as keyword arguments:
acquisition, seed, init, gp, batch, pending, noisy, acq, budget, strategy and advisor, with the
same meaning, defaults and error messages as in a config file ("options: init.design: ...")."""

import json
import math
import warnings
from ctypes import byref, c_double, c_int, c_int64, c_void_p

from . import _lib
from ._lib import InvalidError, lib
from .space import Space

SOURCES = ("init", "gp", "llm", "random", "warmstart", "data")


class Trial:
    """A proposed point: id (ask order), params (dict), x (vector, original units), source."""

    __slots__ = ("id", "params", "x", "source")

    def __init__(self, id, params, x, source):
        self.id, self.params, self.x, self.source = id, params, x, source

    def __repr__(self):
        return "Trial(id=%d, source=%r, params=%r)" % (self.id, self.source, self.params)


class Best:
    """The best successful evaluation: params, value, id, x."""

    __slots__ = ("params", "value", "id", "x")

    def __init__(self, params, value, id, x):
        self.params, self.value, self.id, self.x = params, value, id, x

    def __repr__(self):
        return "Best(value=%r, id=%d, params=%r)" % (self.value, self.id, self.params)


def _json_default(v):
    if hasattr(v, "item"):  # numpy scalars
        return v.item()
    if type(v).__name__ == "Advisor" and hasattr(v, "config"):
        return v.config
    raise InvalidError("options: %r is not a JSON value" % (v,))


def _options_json(options):
    try:
        return json.dumps(options, allow_nan=False, default=_json_default)
    except ValueError as e:
        if isinstance(e, InvalidError):
            raise
        raise InvalidError("options: a number is not finite (NaN or infinity): %s" % e) from None
    except TypeError as e:
        raise InvalidError("options: %s" % e) from None


def _as_space(space):
    if isinstance(space, Space):
        return space
    return Space(space)


class Optimizer:
    """Optimizer(space, maximize=False, problem=None, **options).

    space: a Space (or a list of parameters); maximize: larger values are better; problem: a
    plain description of the objective for an advisor. options: the run config's loop keys,
    e.g. acquisition="ei", seed=3, init={"design": "lhs", "n": 8}, gp={"kernel": "matern32"},
    batch=2, budget=40, strategy="gp+llm", advisor={...} (the advisor object of a run config).
    Bad options raise ValueError with llmbo's message and key path."""

    def __init__(self, space, maximize=False, problem=None, **options):
        self.space = _as_space(space)
        self.options = dict(options)
        self.maximize = bool(maximize)
        self._h = None
        self._advisor = None
        opt = _lib.new_bo_options()
        batch = c_int(1)
        err = _lib.llmbo_error()
        _lib.check(lib.llmbo_bo_options_from_json(_options_json(options).encode(), b"options",
                                                  self.space.dim, byref(opt), byref(batch),
                                                  byref(err)), err)
        self.batch = batch.value
        opt.maximize = 1 if maximize else 0
        self._problem = _lib.cstr(problem, "problem")
        opt.problem = self._problem
        if options.get("advisor") is not None:
            from .advisor import Advisor
            adv = options["advisor"]
            self._advisor = adv if isinstance(adv, Advisor) else Advisor(adv)
            self._advisor.attach(opt)
            self._adv0 = self._advisor_outcomes()  # an Advisor may have served earlier loops
            self._adv_warned = False
        h = c_void_p()
        _lib.check(lib.llmbo_bo_create(self.space._h, byref(opt), byref(h), byref(err)), err)
        self._h = h.value
        self._opt = opt
        self._d = self.space.dim

    def __del__(self):
        if getattr(self, "_h", None):
            lib.llmbo_bo_free(self._h)
            self._h = None

    def close(self):
        """Frees the C loop now (the object is unusable afterwards)."""
        self.__del__()

    def _handle(self):
        if not self._h:
            raise InvalidError("Optimizer: closed")
        return self._h

    # --- ask/tell -------------------------------------------------------------------------------
    def ask(self, n=None):
        """Proposes n points (default: the batch option) and returns them as a list of Trial.
        They stay pending until told."""
        if n is None:
            n = self.batch
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 100000:
            raise InvalidError("ask: n: expected an integer in [1, 100000], got %r" % (n,))
        d = self._d
        ids, X, src = (c_int64 * n)(), (c_double * (n * d))(), (c_int * n)()
        err = _lib.llmbo_error()
        _lib.check(lib.llmbo_bo_ask(self._handle(), n, ids, X, src, byref(err)), err, "ask")
        out = []
        for k in range(n):
            x = X[k * d:(k + 1) * d]
            source = SOURCES[src[k]] if 0 <= src[k] < len(SOURCES) else "unknown"
            out.append(Trial(ids[k], self.space.point(x), x, source))
        if self._advisor is not None and not self._adv_warned:
            failed, asked = self.advisor_failures
            if failed:
                # said once, where it happens: the loop goes on with its own choices
                self._adv_warned = True
                warnings.warn("llmbo: the advisor (%s %s) gave no usable advice for %d of %d "
                              "requests so far; the loop made those decisions itself (its "
                              "fallback). Optimizer.advisor_failures counts them; the reasons are "
                              "in the advisor's call log (log_dir/advisor.jsonl)"
                              % (self._advisor.backend, self._advisor.model, failed, asked),
                              RuntimeWarning, stacklevel=2)
        return out

    def _advisor_outcomes(self):
        c = self._advisor.cost()
        failed = c["fallback"] + c["errors"]
        return failed, c["valid"] + c["repaired"] + failed

    @property
    def advisor_failures(self):
        """(failed, asked): the advisor's requests in this loop that gave no usable advice (a
        fallback or a transport error: the loop chose instead), and all its requests; (0, 0)
        without an advisor."""
        if self._advisor is None:
            return 0, 0
        f, a = self._advisor_outcomes()
        return f - self._adv0[0], a - self._adv0[1]

    def tell(self, id, value=None, failed=False):
        """Reports the result of a pending point (an id or a Trial): its value as the objective
        defines it, or failed=True for an evaluation that failed."""
        if isinstance(id, Trial):
            id = id.id
        if isinstance(id, bool) or not isinstance(id, int):
            raise InvalidError("tell: id: expected an integer or a Trial, got %r" % (id,))
        if not -(1 << 63) <= id < (1 << 63):
            raise InvalidError("tell: id %d was never asked" % id)
        y = 0.0
        if not failed:
            if value is None or isinstance(value, (bool, str, bytes)):
                raise InvalidError("tell: id %d: value: expected a finite number (or "
                                   "failed=True), got %r" % (id, value))
            try:
                y = float(value)
            except (TypeError, ValueError):
                raise InvalidError("tell: id %d: value: expected a finite number (or "
                                   "failed=True), got %r" % (id, value)) from None
        err = _lib.llmbo_error()
        _lib.check(lib.llmbo_bo_tell(self._handle(), id, y, 1 if failed else 0, byref(err)), err)

    def replay(self, id, point, source="gp", theta=None):
        """Registers a proposal of an earlier loop with the same space and options, without any
        computation (see llmbo_bo_replay): it becomes pending as if ask had returned it."""
        x = self.space.vector(point, "replay: x")
        if source not in SOURCES:
            raise InvalidError("replay: source: unknown value %r; expected one of %s"
                               % (source, ", ".join(SOURCES)))
        ct = None
        if theta is not None:
            ct = _lib.doubles(theta, self._d + 2, "replay: theta")
        err = _lib.llmbo_error()
        _lib.check(lib.llmbo_bo_replay(self._handle(), int(id), _lib.doubles(x, self._d),
                                       SOURCES.index(source), ct, byref(err)), err)

    def theta(self, id):
        """The GP hyperparameters of the model that proposed id, or None."""
        t = (c_double * (self._d + 2))()
        return list(t) if lib.llmbo_bo_theta(self._handle(), int(id), t) else None

    # --- state ----------------------------------------------------------------------------------
    @property
    def best(self):
        """The best successful evaluation (a Best), or None before any success."""
        x, y, i = (c_double * self._d)(), c_double(), c_int64()
        if lib.llmbo_bo_best(self._handle(), x, byref(y), byref(i)) != _lib.OK:
            return None
        xs = list(x)
        return Best(self.space.point(xs), y.value, i.value, xs)

    @property
    def n_init(self):
        return lib.llmbo_bo_n_init(self._handle())

    @property
    def n_asked(self):
        return lib.llmbo_bo_n_asked(self._handle())

    @property
    def n_told(self):
        return lib.llmbo_bo_n_told(self._handle())

    @property
    def n_failed(self):
        return lib.llmbo_bo_n_failed(self._handle())

    @property
    def n_pending(self):
        return lib.llmbo_bo_n_pending(self._handle())

    @property
    def stats(self):
        """The loop's counters of advisor use (consulted, used, fallbacks, errors, gates)."""
        s = _lib.llmbo_bo_stats()
        lib.llmbo_bo_get_stats(self._handle(), byref(s))
        return {k: getattr(s, k) for k, _ in s._fields_}

    @property
    def advisor_cost(self):
        """The advisor's cumulative cost (a dict), or None without an advisor."""
        return self._advisor.cost() if self._advisor is not None else None


class Result:
    """What minimize() returns: best (a Best, or None if every evaluation failed), history (a
    list of dicts id, params, value, failed, source, in evaluation order) and the optimizer."""

    def __init__(self, best, history, optimizer):
        self.best, self.history, self.optimizer = best, history, optimizer

    @property
    def x(self):
        return self.best.params if self.best else None

    @property
    def value(self):
        return self.best.value if self.best else None

    def __repr__(self):
        return "Result(best=%r, evaluations=%d)" % (self.best, len(self.history))


def minimize(f, space, budget, maximize=False, catch=(), callback=None, problem=None, **options):
    """Runs the loop for budget evaluations of f(params) and returns a Result. f returns a number
    (a string is refused); None or a non-finite value, or an exception of a type in catch, counts
    as a failed evaluation (other exceptions propagate), and a RuntimeWarning says so when no
    evaluation succeeded. Options as for Optimizer; with maximize=True the
    loop maximises f. callback(trial, value, failed) is called after each evaluation."""
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise InvalidError("budget: expected a positive integer, got %r" % (budget,))
    if not callable(f):
        raise InvalidError("f: expected a callable, got %r" % (f,))
    opt = Optimizer(space, maximize=maximize, problem=problem, budget=budget, **options)
    history = []
    first_failure = None
    while len(history) < budget:
        for t in opt.ask(min(opt.batch, budget - len(history))):
            failed, value = False, None
            try:
                value = f(t.params)
            except catch as e:
                failed = True
                first_failure = first_failure or "id %d raised %s: %s" % (t.id, type(e).__name__, e)
            if not failed:
                try:
                    if isinstance(value, (str, bytes)):
                        raise TypeError
                    value = None if value is None else float(value)
                except (TypeError, ValueError):
                    raise InvalidError("f returned %r for id %d; expected a number" % (value, t.id)
                                       ) from None
                failed = value is None or not math.isfinite(value)
                if failed:
                    first_failure = first_failure or "id %d returned %r" % (t.id, value)
            opt.tell(t.id, value, failed=failed)
            history.append({"id": t.id, "params": t.params, "value": None if failed else value,
                            "failed": failed, "source": t.source})
            if callback is not None:
                callback(t, value, failed)
    if opt.best is None:
        warnings.warn("llmbo.minimize: no evaluation succeeded (%d of %d failed; the first: %s), so "
                      "there is no best point" % (len(history), len(history), first_failure),
                      RuntimeWarning, stacklevel=2)
    failed, asked = opt.advisor_failures
    if failed:
        warnings.warn("llmbo.minimize: %s of %d advisor requests gave no usable advice; the loop "
                      "made those decisions itself (its fallback)%s"
                      % ("all" if failed >= asked else str(failed), asked,
                         ", so no point came from the advisor" if failed >= asked else ""),
                      RuntimeWarning, stacklevel=2)
    return Result(opt.best, history, opt)
