"""ctypes bindings of include/llmbo.h: the shared library, the public structs and prototypes.

The library is found, in order, at $LLMBO_LIB (a path to libllmbo.so), by the system's loader
(an installed libllmbo.so.0), or in the build/ folder of the source tree this package sits in.
Structs mirror the header field by field; tests/py_asktell_driver.c prints the C sizes and
offsets and the tests compare them with these mirrors.
"""

import ctypes
import ctypes.util
import os

from ctypes import (POINTER, Structure, c_char, c_char_p, c_double, c_int, c_int64, c_long,
                    c_size_t, c_uint64, c_void_p)

__all__ = ["lib", "Error", "InvalidError", "NumericError", "check", "library_path"]


def _candidates():
    env = os.environ.get("LLMBO_LIB")
    if env:
        return [env]
    out = []
    found = ctypes.util.find_library("llmbo")
    if found:
        out.append(found)
    here = os.path.dirname(os.path.abspath(__file__))
    for build in ("build", "build-asan"):
        out.append(os.path.join(here, "..", "..", build, "libllmbo.so"))
    return out


def _load():
    tried = []
    for path in _candidates():
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            tried.append("%s (%s)" % (path, e))
    raise ImportError(
        "llmbo: cannot load the shared library libllmbo; install it (cmake --install build) or "
        "set LLMBO_LIB=/path/to/libllmbo.so. Tried: " + "; ".join(tried))


lib, library_path = _load()

# --- status codes and errors --------------------------------------------------------------------
OK, ERR_NOMEM, ERR_INVALID, ERR_CONFIG, ERR_IO, ERR_NUMERIC, ERR_PARSE = 0, 1, 2, 3, 4, 5, 6
ERR_NOT_FOUND, ERR_STATE, ERR_VALIDATION = 10, 14, 15


class Error(Exception):
    """An llmbo failure: str() is llmbo's own message; .status is the llmbo_status code."""

    def __init__(self, message, status=ERR_INVALID):
        super().__init__(message)
        self.status = status

    @property
    def status_name(self):
        return lib.llmbo_strerror(self.status).decode()


class InvalidError(Error, ValueError):
    """Bad input: an argument, option, key or id outside its domain (the message names it)."""


class NumericError(Error, ArithmeticError):
    """A numerical failure (a matrix no jitter made positive definite, NaN)."""


class LlmboMemoryError(Error, MemoryError):
    """An allocation failed inside libllmbo."""


class LlmboIOError(Error, OSError):
    """Reading or writing a file failed."""

    def __init__(self, message, status=ERR_IO):
        Error.__init__(self, message, status)


_VALUE_ERRORS = {ERR_INVALID, ERR_CONFIG, ERR_PARSE, ERR_NOT_FOUND, ERR_STATE, ERR_VALIDATION}


def raise_status(status, message):
    if status in _VALUE_ERRORS:
        raise InvalidError(message, status)
    if status == ERR_NOMEM:
        raise LlmboMemoryError(message, status)
    if status == ERR_IO:
        raise LlmboIOError(message, status)
    if status == ERR_NUMERIC:
        raise NumericError(message, status)
    raise Error(message, status)


class llmbo_error(Structure):
    _fields_ = [("status", c_int), ("msg", c_char * 1024)]


def check(status, err, what=None):
    """Raises the exception for a non-OK status, with the message the library left in err."""
    if status == OK:
        return
    msg = err.msg.decode("utf-8", "replace") if err is not None else ""
    if not msg:
        msg = lib.llmbo_strerror(status).decode()
    if what:
        msg = "%s: %s" % (what, msg)
    raise_status(status, msg)


# --- structs ------------------------------------------------------------------------------------
class llmbo_param(Structure):
    _fields_ = [("name", c_char_p), ("type", c_int), ("lo", c_double), ("hi", c_double),
                ("n_choices", c_int), ("choices", POINTER(c_char_p)), ("unit", c_char_p),
                ("description", c_char_p)]


class llmbo_gp_options(Structure):
    _fields_ = [("kernel", c_int), ("fit_noise", c_int), ("noise", c_double),
                ("noise_floor", c_double), ("use_priors", c_int), ("ls_prior_shift", c_double),
                ("n_restarts", c_int), ("max_eval", c_int), ("seed", c_uint64),
                ("ls_max", c_double), ("gls_mean", c_int), ("ls_min", c_double),
                ("loo_modes", c_int), ("loo_mixed_only", c_int), ("prior_mean", c_double)]


class llmbo_cost(Structure):
    _fields_ = [("calls", c_long), ("retries", c_long), ("prompt_tokens", c_long),
                ("completion_tokens", c_long), ("reasoning_tokens", c_long),
                ("cached_tokens", c_long), ("dollars", c_double), ("seconds", c_double),
                ("cpu_seconds", c_double), ("cpu_dollars", c_double), ("valid", c_long),
                ("repaired", c_long), ("fallback", c_long), ("errors", c_long)]


class llmbo_advisor_hook(Structure):
    _fields_ = [("version", c_int), ("ctx", c_void_p), ("advise", c_void_p), ("cost", c_void_p)]


class llmbo_advice_schedule(Structure):
    _fields_ = [("mode", c_int), ("warmstart", c_int), ("every", c_int),
                ("phase_start", c_double), ("phase_end", c_double), ("adaptive", c_int),
                ("n_candidates", c_int), ("n_propose", c_int), ("gp_rules", c_int)]


class llmbo_bo_options(Structure):
    _fields_ = [("strategy", c_int), ("acquisition", c_int), ("design", c_int),
                ("n_init", c_int), ("budget", c_int), ("gp", llmbo_gp_options),
                ("refit_every", c_int), ("pending", c_int), ("seed", c_uint64),
                ("maximize", c_int), ("noisy", c_int), ("xi", c_double),
                ("n_candidates", c_int), ("acq_sweep", c_int), ("acq_starts", c_int),
                ("dup_tol", c_double), ("stall_window", c_int), ("y_warp", c_int),
                ("gls_from", c_double), ("degen_ls", c_double), ("tr_window", c_int), ("tr_radius", c_double),
                ("explore_gate", c_double), ("explore_ls", c_double), ("hyper_samples", c_int), ("stall_mean", c_double), ("face_mean", c_double), ("advisor", llmbo_advisor_hook), ("schedule", llmbo_advice_schedule),
                ("problem", c_char_p), ("batch_step", c_int), ("batch_step_from", c_double),
                ("ripple_noise", c_double), ("ripple_gate", c_int),
                ("final_exploit", c_double), ("final_mean", c_int), ("final_beta", c_double),
                ("final_commit", c_int), ("final_rank", c_double), ("final_window", c_int)]


class llmbo_bo_stats(Structure):
    _fields_ = [("consulted", c_long), ("used", c_long), ("fallbacks", c_long),
                ("errors", c_long), ("gate_gp", c_long), ("gate_llm", c_long),
                ("escapes", c_long), ("degenerate", c_long), ("trust", c_long),
                ("explore", c_long), ("pessimism", c_long), ("ripple", c_long),
                ("exploit", c_long)]


def new_bo_options():
    """A zeroed llmbo_bo_options inside a larger buffer, so a build whose struct gained
    trailing members cannot write past what Python allocated."""
    buf = (c_char * (ctypes.sizeof(llmbo_bo_options) + 512))()
    opt = llmbo_bo_options.from_buffer(buf)
    opt._keep = buf
    return opt


# --- prototypes ---------------------------------------------------------------------------------
_P = POINTER
_D = _P(c_double)
_E = _P(llmbo_error)


def _proto(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)


_proto("llmbo_strerror", c_char_p, c_int)
_proto("llmbo_init", c_int)
_proto("llmbo_space_create", c_void_p)
_proto("llmbo_space_free", None, c_void_p)
_proto("llmbo_space_add", c_int, c_void_p, _P(llmbo_param), _E)
_proto("llmbo_space_dim", c_int, c_void_p)
_proto("llmbo_space_param", _P(llmbo_param), c_void_p, c_int)
_proto("llmbo_space_to_unit", None, c_void_p, _D, _D)
_proto("llmbo_space_from_unit", None, c_void_p, _D, _D)
_proto("llmbo_space_round_unit", None, c_void_p, _D)
_proto("llmbo_space_check", c_int, c_void_p, _D, _E)

_proto("llmbo_objective_create", c_int, c_char_p, _P(c_void_p), _E)
_proto("llmbo_objective_free", None, c_void_p)
_proto("llmbo_objective_set_noise", None, c_void_p, c_double, c_uint64)
_proto("llmbo_objective_name", c_char_p, c_void_p)
_proto("llmbo_objective_description", c_char_p, c_void_p)
_proto("llmbo_objective_dim", c_int, c_void_p)
_proto("llmbo_objective_space", c_void_p, c_void_p)
_proto("llmbo_objective_maximize", c_int, c_void_p)
_proto("llmbo_objective_optimal_value", c_int, c_void_p, _D)
_proto("llmbo_objective_optimizers", c_int, c_void_p, _P(_D))
_proto("llmbo_objective_eval", c_int, c_void_p, _D, _D, _E)
_proto("llmbo_objective_count", c_int)
_proto("llmbo_objective_builtin_name", c_char_p, c_int)

_proto("llmbo_gp_options_default", None, _P(llmbo_gp_options))
_proto("llmbo_gp_create", c_void_p, c_int, _P(llmbo_gp_options))
_proto("llmbo_gp_free", None, c_void_p)
_proto("llmbo_gp_fit", c_int, c_void_p, _D, _D, c_int, c_int, _E)
_proto("llmbo_gp_add", c_int, c_void_p, _D, c_double, _E)
_proto("llmbo_gp_n", c_int, c_void_p)
_proto("llmbo_gp_dim", c_int, c_void_p)
_proto("llmbo_gp_get_theta", None, c_void_p, _D)
_proto("llmbo_gp_set_theta", c_int, c_void_p, _D, _E)
_proto("llmbo_gp_log_marginal_likelihood", c_double, c_void_p)
_proto("llmbo_gp_predict", None, c_void_p, _D, _D, _D, _D, _D)
_proto("llmbo_gp_predict_batch", None, c_void_p, _D, c_int, _D, _D)
_proto("llmbo_gp_sample", c_int, c_void_p, _D, c_int, c_int, c_uint64, _D, _E)
_proto("llmbo_gp_get_hyper", None, c_void_p, _D, _D, _D)

_proto("llmbo_source_name", c_char_p, c_int)
_proto("llmbo_source_parse", c_int, c_char_p)
_proto("llmbo_bo_options_default", None, _P(llmbo_bo_options))
_proto("llmbo_bo_options_from_json", c_int, c_char_p, c_char_p, c_int, _P(llmbo_bo_options),
       _P(c_int), _E)
_proto("llmbo_bo_create", c_int, c_void_p, _P(llmbo_bo_options), _P(c_void_p), _E)
_proto("llmbo_bo_free", None, c_void_p)
_proto("llmbo_bo_ask", c_int, c_void_p, c_int, _P(c_int64), _D, _P(c_int), _E)
_proto("llmbo_bo_tell", c_int, c_void_p, c_int64, c_double, c_int, _E)
_proto("llmbo_bo_replay", c_int, c_void_p, c_int64, _D, c_int, _D, _E)
_proto("llmbo_bo_theta", c_int, c_void_p, c_int64, _D)
_proto("llmbo_bo_dim", c_int, c_void_p)
_proto("llmbo_bo_n_init", c_int, c_void_p)
_proto("llmbo_bo_n_asked", c_long, c_void_p)
_proto("llmbo_bo_n_told", c_long, c_void_p)
_proto("llmbo_bo_n_failed", c_long, c_void_p)
_proto("llmbo_bo_n_pending", c_long, c_void_p)
_proto("llmbo_bo_best", c_int, c_void_p, _D, _D, _P(c_int64))
_proto("llmbo_bo_get_stats", None, c_void_p, _P(llmbo_bo_stats))

if lib.llmbo_init() != OK:
    raise ImportError("llmbo: llmbo_init failed")


def doubles(values, n=None, what="x"):
    """A ctypes double array of finite floats from a sequence (checked length n)."""
    try:
        vals = [float(v) for v in values]
    except (TypeError, ValueError):
        raise InvalidError("%s: expected a sequence of numbers, got %r" % (what, values)) from None
    if n is not None and len(vals) != n:
        raise InvalidError("%s: expected %d values, got %d" % (what, n, len(vals)))
    return (c_double * max(len(vals), 1))(*vals)


def cstr(s, what):
    if s is None:
        return None
    if not isinstance(s, str):
        raise InvalidError("%s: expected a string, got %r" % (what, s))
    b = s.encode("utf-8")
    if b"\0" in b:
        raise InvalidError("%s: contains a NUL character" % what)
    return b
