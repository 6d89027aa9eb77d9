"""Parameter spaces: continuous, integer, log-scale and categorical parameters with names, units
and descriptions, held by a C llmbo_space. A point is a dict {name: value} (categoricals by their
choice string, integers as int) or a vector of floats in original units (categoricals by choice
index), the form the C library exchanges."""

import math
from ctypes import POINTER, byref, c_char_p, c_double

from . import _lib
from ._lib import InvalidError, lib

CONTINUOUS, INTEGER, LOG, CATEGORICAL = 0, 1, 2, 3
_TYPE_NAMES = {CONTINUOUS: "continuous", INTEGER: "integer", LOG: "log", CATEGORICAL: "categorical"}


class Param:
    """One parameter. Use the constructors Continuous, Integer, Log and Categorical."""

    __slots__ = ("name", "type", "lo", "hi", "choices", "unit", "description")

    def __init__(self, name, type, lo=0.0, hi=0.0, choices=None, unit=None, description=None):
        self.name, self.type, self.lo, self.hi = name, type, lo, hi
        self.choices = tuple(choices) if choices is not None else None
        self.unit, self.description = unit, description

    @property
    def type_name(self):
        return _TYPE_NAMES.get(self.type, "unknown")

    def __repr__(self):
        if self.type == CATEGORICAL:
            body = "%r, %r" % (self.name, list(self.choices))
        else:
            body = "%r, %r, %r" % (self.name, self.lo, self.hi)
        extra = "".join(", %s=%r" % (k, getattr(self, k)) for k in ("unit", "description")
                        if getattr(self, k) is not None)
        return "%s(%s%s)" % (self.type_name.capitalize(), body, extra)

    def __eq__(self, other):
        return isinstance(other, Param) and all(
            getattr(self, k) == getattr(other, k) for k in self.__slots__)


def Continuous(name, lo, hi, unit=None, description=None):
    """A real parameter in [lo, hi]."""
    return Param(name, CONTINUOUS, lo, hi, None, unit, description)


def Integer(name, lo, hi, unit=None, description=None):
    """A whole-number parameter in [lo, hi]."""
    return Param(name, INTEGER, lo, hi, None, unit, description)


def Log(name, lo, hi, unit=None, description=None):
    """A real parameter in [lo, hi], 0 < lo, searched on a log scale."""
    return Param(name, LOG, lo, hi, None, unit, description)


def Categorical(name, choices, unit=None, description=None):
    """One of the given choices (strings)."""
    return Param(name, CATEGORICAL, 0.0, 0.0, choices, unit, description)


def _param_from_c(p):
    choices = None
    if p.type == CATEGORICAL:
        choices = tuple(p.choices[i].decode() for i in range(p.n_choices))
    dec = lambda s: s.decode() if s is not None else None
    return Param(p.name.decode(), p.type, p.lo, p.hi, choices, dec(p.unit), dec(p.description))


class Space:
    """An ordered set of parameters. Space([Continuous("x", 0, 1), ...]); len(space) is its
    dimension; space["x"] a parameter by name."""

    def __init__(self, params=(), _handle=None, _owner=None):
        self._owner = _owner
        if _handle is not None:  # a space owned by another object (an objective)
            self._h, self._own = _handle, False
            self._params = [_param_from_c(lib.llmbo_space_param(_handle, i).contents)
                            for i in range(lib.llmbo_space_dim(_handle))]
            self._index = {p.name: i for i, p in enumerate(self._params)}
            return
        self._h = lib.llmbo_space_create()
        self._own = True
        if not self._h:
            raise MemoryError("llmbo: out of memory")
        self._params, self._index = [], {}
        if isinstance(params, (str, bytes)) or not hasattr(params, "__iter__"):
            raise InvalidError("space: expected a list of parameters, got %r" % (params,))
        for i, p in enumerate(params):
            self._add(p, "params[%d]" % i)

    def _add(self, p, where):
        if not isinstance(p, Param):
            raise InvalidError("%s: expected a parameter (Continuous, Integer, Log, Categorical), "
                               "got %r" % (where, p))
        c = _lib.llmbo_param()
        c.name = _lib.cstr(p.name, where + ".name")
        c.type = p.type
        c.unit = _lib.cstr(p.unit, where + ".unit")
        c.description = _lib.cstr(p.description, where + ".description")
        keep = None
        if p.type == CATEGORICAL:
            if not p.choices:
                raise InvalidError("%s (%r): choices: expected a non-empty list of strings"
                                   % (where, p.name))
            keep = [_lib.cstr(ch, "%s.choices[%d]" % (where, k)) for k, ch in enumerate(p.choices)]
            arr = (c_char_p * len(keep))(*keep)
            c.choices = arr
            c.n_choices = len(keep)
        else:
            for key in ("lo", "hi"):
                v = getattr(p, key)
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    try:
                        v = float(v)  # numpy scalars
                    except (TypeError, ValueError):
                        raise InvalidError("%s (%r).%s: expected a number, got %r"
                                           % (where, p.name, key, v)) from None
                setattr(c, key, float(v))
        err = _lib.llmbo_error()
        _lib.check(lib.llmbo_space_add(self._h, byref(c), byref(err)), err, where)
        self._params.append(_param_from_c(lib.llmbo_space_param(self._h, len(self._params))
                                          .contents))
        self._index[p.name] = len(self._params) - 1
        del keep

    def __del__(self):
        if getattr(self, "_own", False) and self._h:
            lib.llmbo_space_free(self._h)
            self._h = None

    def __len__(self):
        return len(self._params)

    @property
    def dim(self):
        return len(self._params)

    @property
    def params(self):
        return list(self._params)

    @property
    def names(self):
        return [p.name for p in self._params]

    def __getitem__(self, name):
        return self._params[self._index[name]]

    def __iter__(self):
        return iter(self._params)

    def __repr__(self):
        return "Space(%r)" % (self._params,)

    # --- points ---------------------------------------------------------------------------------
    def vector(self, point, where="x"):
        """A point as a list of floats in original units (categoricals as the choice index). A
        dict is matched by name (every parameter, no other key); a sequence is taken as is."""
        if isinstance(point, dict):
            missing = [n for n in self.names if n not in point]
            if missing:
                raise InvalidError("%s: missing parameter %r" % (where, missing[0]))
            extra = [k for k in point if k not in self._index]
            if extra:
                raise InvalidError("%s: unknown parameter %r; expected one of %s"
                                   % (where, extra[0], ", ".join(self.names)))
            out = []
            for p in self._params:
                v = point[p.name]
                if p.type == CATEGORICAL:
                    if v not in p.choices:
                        raise InvalidError("%s.%s: %r is not one of %s" % (
                            where, p.name, v, ", ".join(map(str, p.choices))))
                    out.append(float(p.choices.index(v)))
                else:
                    out.append(self._number(v, "%s.%s" % (where, p.name)))
            return out
        if isinstance(point, (str, bytes)):
            raise InvalidError("%s: expected a dict or a sequence of %d numbers" % (where, self.dim))
        try:
            vals = list(point)
        except TypeError:
            raise InvalidError("%s: expected a dict or a sequence of %d numbers, got %r"
                               % (where, self.dim, point)) from None
        if len(vals) != self.dim:
            raise InvalidError("%s: expected %d values, got %d" % (where, self.dim, len(vals)))
        return [self._number(v, "%s[%d]" % (where, i)) for i, v in enumerate(vals)]

    @staticmethod
    def _number(v, where):
        if isinstance(v, (bool, str, bytes)):
            raise InvalidError("%s: expected a number, got %r" % (where, v))
        try:
            return float(v)
        except (TypeError, ValueError):
            raise InvalidError("%s: expected a number, got %r" % (where, v)) from None

    def point(self, x):
        """A vector in original units as a dict {name: value}: categoricals as their choice,
        integers as int."""
        out = {}
        for p, v in zip(self._params, x):
            if p.type == CATEGORICAL:
                out[p.name] = p.choices[int(v)]
            elif p.type == INTEGER:
                out[p.name] = int(v)
            else:
                out[p.name] = float(v)
        return out

    def check(self, point, where="x"):
        """Raises ValueError naming the first bad coordinate (non-finite, outside the bounds,
        not whole, not a choice); returns the vector."""
        x = self.vector(point, where)
        err = _lib.llmbo_error()
        _lib.check(lib.llmbo_space_check(self._h, _lib.doubles(x), byref(err)), err, where)
        return x

    def to_unit(self, point):
        """Original units -> unit cube [0,1]^d."""
        x = self.vector(point)
        u = (c_double * self.dim)()
        for i, v in enumerate(x):
            if not math.isfinite(v):
                raise InvalidError("x[%d]: not finite" % i)
        lib.llmbo_space_to_unit(self._h, _lib.doubles(x), u)
        return list(u)

    def from_unit(self, u):
        """Unit cube -> original units (a vector), rounding integers and choices; u is clamped."""
        uu = _lib.doubles(u, self.dim, "u")
        for i in range(self.dim):
            if math.isnan(uu[i]):
                raise InvalidError("u[%d]: NaN" % i)
        x = (c_double * self.dim)()
        lib.llmbo_space_from_unit(self._h, uu, x)
        return list(x)
