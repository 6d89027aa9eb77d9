"""The LLM advisor, created from the JSON of a run config's "advisor" object (docs/advisor.md),
and handed to the loop as its hook. Its cost (calls, tokens, dollars, seconds, outcomes) is read
back as a dict."""

import json
from ctypes import POINTER, byref, c_char_p, c_int, c_void_p

from . import _lib
from ._lib import Error, InvalidError, lib

_API = None


def _api():
    """Binds the advisor functions of llmbo.h on first use (a library without them raises)."""
    global _API
    if _API is None:
        names = ("llmbo_advisor_create_json", "llmbo_advisor_free", "llmbo_advisor_get_hook",
                 "llmbo_advisor_get_schedule", "llmbo_advisor_get_cost",
                 "llmbo_advisor_preflight")
        if not all(hasattr(lib, n) for n in names):
            raise Error("advisor: this libllmbo (%s) has no advisor API" % _lib.library_path,
                        12)
        lib.llmbo_advisor_create_json.restype = c_int
        lib.llmbo_advisor_create_json.argtypes = [c_char_p, c_char_p, c_char_p,
                                                  POINTER(c_void_p), POINTER(_lib.llmbo_error)]
        lib.llmbo_advisor_free.restype = None
        lib.llmbo_advisor_free.argtypes = [c_void_p]
        lib.llmbo_advisor_get_hook.restype = None
        lib.llmbo_advisor_get_hook.argtypes = [c_void_p, POINTER(_lib.llmbo_advisor_hook)]
        lib.llmbo_advisor_get_schedule.restype = None
        lib.llmbo_advisor_get_schedule.argtypes = [c_void_p, POINTER(_lib.llmbo_advice_schedule)]
        lib.llmbo_advisor_get_cost.restype = None
        lib.llmbo_advisor_get_cost.argtypes = [c_void_p, POINTER(_lib.llmbo_cost)]
        lib.llmbo_advisor_preflight.restype = c_int
        lib.llmbo_advisor_preflight.argtypes = [c_void_p, POINTER(_lib.llmbo_error)]
        for name in ("llmbo_advisor_model", "llmbo_advisor_backend_name"):
            getattr(lib, name).restype = c_char_p
            getattr(lib, name).argtypes = [c_void_p]
        _API = True
    return lib


class Advisor:
    """Advisor({"backend": "replay", "cassette": ..., "model": ..., "mode": "rank", ...}): the
    advisor object of a run config, as a dict or its JSON text. One advisor may serve several
    loops one after the other (its cost accumulates); it must outlive them. log_dir receives the
    call log advisor.jsonl. With preflight (the default, as `llmbo run` does) the backend is
    checked once here (HTTP: a connection, no request): an unreachable server raises, or warns
    with "on_unreachable": "fallback"."""

    def __init__(self, config, log_dir=None, preflight=True):
        api = _api()
        if isinstance(config, (str, bytes)):
            text = config.encode() if isinstance(config, str) else config
            try:
                self.config = json.loads(text)
            except ValueError:
                self.config = None  # the library words the syntax error
        else:
            self.config = config
            try:
                text = json.dumps(config, allow_nan=False).encode()
            except (TypeError, ValueError) as e:
                raise InvalidError("advisor: not a JSON object: %s" % e) from None
        h = c_void_p()
        err = _lib.llmbo_error()
        _lib.check(api.llmbo_advisor_create_json(text, b"advisor", _lib.cstr(log_dir, "log_dir"),
                                                 byref(h), byref(err)), err)
        self._h = h.value
        if preflight:
            _lib.check(lib.llmbo_advisor_preflight(self._h, byref(err)), err)

    @property
    def model(self):
        return lib.llmbo_advisor_model(self._h).decode()

    @property
    def backend(self):
        return lib.llmbo_advisor_backend_name(self._h).decode()

    def __del__(self):
        if getattr(self, "_h", None):
            lib.llmbo_advisor_free(self._h)
            self._h = None

    def attach(self, opt):
        """Sets the loop options' advisor hook and schedule (llmbo_bo_options)."""
        lib.llmbo_advisor_get_hook(self._h, byref(opt.advisor))
        lib.llmbo_advisor_get_schedule(self._h, byref(opt.schedule))

    def cost(self):
        c = _lib.llmbo_cost()
        lib.llmbo_advisor_get_cost(self._h, byref(c))
        return {k: getattr(c, k) for k, _ in c._fields_}
