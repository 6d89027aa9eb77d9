"""The Gaussian-process surrogate on its own: inputs in the unit cube, outputs in the caller's
units (the GP standardises them itself); see include/llmbo.h for the model and its priors."""

import math
from ctypes import byref, c_double

from . import _lib
from ._lib import InvalidError, lib

KERNELS = ("se", "matern12", "matern32", "matern52")


def _matrix(X, d, what):
    rows = [list(r) if not isinstance(r, (str, bytes)) else r for r in X] \
        if hasattr(X, "__iter__") else None
    if rows is None:
        raise InvalidError("%s: expected a sequence of points" % what)
    flat = []
    for i, r in enumerate(rows):
        if isinstance(r, (str, bytes)) or len(r) != d:
            raise InvalidError("%s[%d]: expected %d numbers" % (what, i, d))
        for j, v in enumerate(r):
            try:
                f = float(v)
            except (TypeError, ValueError):
                raise InvalidError("%s[%d][%d]: expected a number, got %r" % (what, i, j, v)) \
                    from None
            if not math.isfinite(f):
                raise InvalidError("%s[%d][%d]: not finite (%r)" % (what, i, j, f))
            flat.append(f)
    return len(rows), (c_double * max(len(flat), 1))(*flat)


class GP:
    """GP(d, kernel="matern52", fit_noise=False, noise=1e-6, noise_floor=1e-4, priors=True,
    restarts=3, max_eval=200, seed=0). fit(X, y) then predict(X) -> (means, variances)."""

    def __init__(self, d, kernel="matern52", fit_noise=False, noise=1e-6, noise_floor=1e-4,
                 priors=True, restarts=3, max_eval=200, seed=0):
        if isinstance(d, bool) or not isinstance(d, int) or d < 1:
            raise InvalidError("d: expected a positive integer, got %r" % (d,))
        if kernel not in KERNELS:
            raise InvalidError("kernel: unknown value %r; expected one of %s"
                               % (kernel, ", ".join(KERNELS)))
        o = _lib.llmbo_gp_options()
        lib.llmbo_gp_options_default(byref(o))
        o.kernel = KERNELS.index(kernel)
        o.fit_noise = 1 if fit_noise else 0
        if not (isinstance(noise, (int, float)) and noise >= 0 and math.isfinite(noise)):
            raise InvalidError("noise: expected a non-negative number, got %r" % (noise,))
        o.noise = float(noise)
        if not (isinstance(noise_floor, (int, float)) and 0 < noise_floor < 1):
            raise InvalidError("noise_floor: expected a number in (0, 1), got %r" % (noise_floor,))
        o.noise_floor = float(noise_floor)
        o.use_priors = 1 if priors else 0
        for key, v, lo in (("restarts", restarts, 0), ("max_eval", max_eval, 1), ("seed", seed, 0)):
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise InvalidError("%s: expected an integer >= %d, got %r" % (key, lo, v))
        if restarts > 1 << 30 or max_eval > 1 << 30 or seed >= 1 << 64:
            raise InvalidError("restarts, max_eval or seed: too large")
        o.n_restarts, o.max_eval, o.seed = restarts, max_eval, seed
        self._h = lib.llmbo_gp_create(d, byref(o))
        if not self._h:
            raise MemoryError("llmbo: GP could not be created (out of memory)")
        self.d = d

    def __del__(self):
        if getattr(self, "_h", None):
            lib.llmbo_gp_free(self._h)
            self._h = None

    @property
    def n(self):
        return lib.llmbo_gp_n(self._h)

    def fit(self, X, y, optimize=True):
        """Sets the data X (n, d) in [0,1]^d and y (n); refits the hyperparameters if optimize."""
        n, cx = _matrix(X, self.d, "X")
        cy = _lib.doubles(y, None, "y")
        if len(y) != n:
            raise InvalidError("y: expected %d values (one per row of X), got %d" % (n, len(y)))
        if n < 1:
            raise InvalidError("X: expected at least one point")
        err = _lib.llmbo_error()
        _lib.check(lib.llmbo_gp_fit(self._h, cx, cy, n, 1 if optimize else 0, byref(err)), err,
                   "GP.fit")
        return self

    def add(self, x, y):
        """Adds one observation at fixed hyperparameters (O(n^2))."""
        _, cx = _matrix([x], self.d, "x")
        err = _lib.llmbo_error()
        _lib.check(lib.llmbo_gp_add(self._h, cx, float(y), byref(err)), err, "GP.add")
        return self

    def _need_data(self, what):
        if self.n < 1:
            raise InvalidError("GP.%s: the GP has no data; call fit first" % what)

    def predict(self, X):
        """Posterior means and variances of f at the points X (m, d): two lists."""
        self._need_data("predict")
        m, cx = _matrix(X, self.d, "X")
        if m == 0:
            return [], []
        mean, var = (c_double * m)(), (c_double * m)()
        lib.llmbo_gp_predict_batch(self._h, cx, m, mean, var)
        return list(mean), list(var)

    def sample(self, X, n_samples, seed=0):
        """n_samples joint posterior draws of f at X (m, d): a list of lists (n_samples, m)."""
        self._need_data("sample")
        m, cx = _matrix(X, self.d, "X")
        if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 1:
            raise InvalidError("n_samples: expected a positive integer, got %r" % (n_samples,))
        out = (c_double * max(m * n_samples, 1))()
        err = _lib.llmbo_error()
        _lib.check(lib.llmbo_gp_sample(self._h, cx, m, n_samples, int(seed), out, byref(err)),
                   err, "GP.sample")
        return [list(out[k * m:(k + 1) * m]) for k in range(n_samples)]

    @property
    def theta(self):
        """[log l_1 .. log l_d, log sigma_f^2, log sigma_n^2] (standardised units)."""
        t = (c_double * (self.d + 2))()
        lib.llmbo_gp_get_theta(self._h, t)
        return list(t)

    @theta.setter
    def theta(self, values):
        t = _lib.doubles(values, self.d + 2, "theta")
        err = _lib.llmbo_error()
        _lib.check(lib.llmbo_gp_set_theta(self._h, t, byref(err)), err, "GP.theta")

    @property
    def hyper(self):
        """Lengthscales (unit-cube units), signal and noise variances (caller's y units)."""
        ls, sv, nv = (c_double * self.d)(), c_double(), c_double()
        lib.llmbo_gp_get_hyper(self._h, ls, byref(sv), byref(nv))
        return {"lengthscales": list(ls), "signal_var": sv.value, "noise_var": nv.value}

    def log_marginal_likelihood(self):
        self._need_data("log_marginal_likelihood")
        return lib.llmbo_gp_log_marginal_likelihood(self._h)
