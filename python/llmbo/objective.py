"""The built-in benchmark objectives ("branin", "hartmann6", "ackley:10", ...) with their spaces,
known optimal values and optimisers."""

from ctypes import POINTER, byref, c_double, c_void_p

from . import _lib
from ._lib import InvalidError, lib
from .space import Space


def objectives():
    """Names of the built-in objectives."""
    return [lib.llmbo_objective_builtin_name(i).decode() for i in range(lib.llmbo_objective_count())]


class Objective:
    """A built-in objective, Objective("branin") or Objective("ackley:10"). Calling it evaluates a
    point (a dict or a vector in original units); failures raise llmbo.Error."""

    def __init__(self, spec, noise_sd=0.0, noise_seed=0):
        h = c_void_p()
        err = _lib.llmbo_error()
        _lib.check(lib.llmbo_objective_create(_lib.cstr(spec, "objective"), byref(h), byref(err)),
                   err)
        self._h = h.value
        if noise_sd:
            if not noise_sd > 0:
                raise InvalidError("noise_sd: expected a positive number, got %r" % (noise_sd,))
            lib.llmbo_objective_set_noise(self._h, float(noise_sd), int(noise_seed))
        self.space = Space(_handle=lib.llmbo_objective_space(self._h), _owner=self)

    def __del__(self):
        if getattr(self, "_h", None):
            lib.llmbo_objective_free(self._h)
            self._h = None

    @property
    def name(self):
        return lib.llmbo_objective_name(self._h).decode()

    @property
    def description(self):
        d = lib.llmbo_objective_description(self._h)
        return d.decode() if d else None

    @property
    def dim(self):
        return lib.llmbo_objective_dim(self._h)

    @property
    def maximize(self):
        return bool(lib.llmbo_objective_maximize(self._h))

    @property
    def optimal_value(self):
        """The known optimal value, or None."""
        v = c_double()
        return v.value if lib.llmbo_objective_optimal_value(self._h, byref(v)) else None

    @property
    def optimizers(self):
        """The known global optimisers as a list of vectors (original units)."""
        xs = POINTER(c_double)()
        n = lib.llmbo_objective_optimizers(self._h, byref(xs))
        d = self.dim
        return [[xs[i * d + j] for j in range(d)] for i in range(n)]

    def __call__(self, point):
        x = self.space.vector(point)
        y = c_double()
        err = _lib.llmbo_error()
        _lib.check(lib.llmbo_objective_eval(self._h, _lib.doubles(x), byref(y), byref(err)), err,
                   self.name)
        return y.value

    def __repr__(self):
        return "Objective(%r)" % self.name
