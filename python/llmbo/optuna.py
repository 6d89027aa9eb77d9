"""LlmboSampler: an Optuna sampler backed by llmbo's ask/tell loop (GP, or GP + an LLM advisor).

    study = optuna.create_study(sampler=llmbo.optuna.LlmboSampler(seed=1))

Relative sampling over the intersection search space of the finished trials (Optuna's
IntersectionSearchSpace; single-valued distributions left out); every other parameter comes
from the independent sampler (RandomSampler by default), as do all parameters of the first trial.

For each trial the sampler rebuilds the loop from the study (llmbo_bo_replay, no computation):
complete trials are told their value, failed ones are told failed (the loop steers away from
them), running and waiting trials with a full set of parameters stay pending (the GP conditions
on a fantasy there), pruned trials are ignored. Then one ask proposes the point. Proposals
k are seeded by (seed, k) and the GP starts from the hyperparameters recorded with the last
proposal (kept in the trial's system attributes), so a study continued from storage proposes
what an uninterrupted one would. Float and int parameters with a step are searched as integer
step counts; log-scale ints as log-scale reals rounded to the nearest int.
"""

import math
import random
import threading

import optuna
from optuna.distributions import (CategoricalDistribution, FloatDistribution, IntDistribution)
from optuna.samplers import BaseSampler, RandomSampler

try:  # Optuna >= 3.2 (the samplers namespace keeps a deprecated alias for a while)
    from optuna.search_space import IntersectionSearchSpace
except ImportError:  # Optuna 3.1, Debian 12's
    from optuna.samplers import IntersectionSearchSpace
from optuna.trial import TrialState

from . import space as _space
from .optimizer import Optimizer, SOURCES
from ._lib import InvalidError

__all__ = ["LlmboSampler"]

_ATTR_SOURCE = "llmbo:source"
_ATTR_THETA = "llmbo:theta"


class _Codec:
    """Maps one Optuna distribution to an llmbo parameter and back."""

    def __init__(self, name, dist):
        self.name, self.dist = name, dist
        self.step = None
        if isinstance(dist, CategoricalDistribution):
            labels, seen = [], set()
            for i, c in enumerate(dist.choices):
                s = str(c)
                if s in seen:
                    s = "%s#%d" % (s, i)
                seen.add(s)
                labels.append(s)
            self.param = _space.Categorical(name, labels)
        elif isinstance(dist, (FloatDistribution, IntDistribution)):
            step = dist.step
            if dist.log:
                self.param = _space.Log(name, dist.low, dist.high)
            elif step is not None and not (isinstance(dist, IntDistribution) and step == 1):
                self.step = step
                self.param = _space.Integer(name, 0, int(round((dist.high - dist.low) / step)))
            elif isinstance(dist, IntDistribution):
                self.param = _space.Integer(name, dist.low, dist.high)
            else:
                self.param = _space.Continuous(name, dist.low, dist.high)
        else:
            raise InvalidError("LlmboSampler: parameter %r: unsupported distribution %r"
                               % (name, dist))

    def encode(self, value):
        """Optuna's external value -> llmbo's coordinate, or None if outside the space."""
        d = self.dist
        if isinstance(d, CategoricalDistribution):
            try:
                return float(d.to_internal_repr(value))
            except ValueError:
                return None
        v = float(value)
        if not (d.low <= v <= d.high):
            return None
        if self.step is not None:
            return float(min(max(round((v - d.low) / self.step), 0), self.param.hi))
        return v

    def decode(self, x):
        d = self.dist
        if isinstance(d, CategoricalDistribution):
            return d.to_external_repr(int(x))
        if self.step is not None:
            v = min(d.low + int(round(x)) * self.step, d.high)
            return int(v) if isinstance(d, IntDistribution) else float(v)
        if isinstance(d, IntDistribution):
            return int(min(max(round(x), d.low), d.high))
        return float(min(max(x, d.low), d.high))


class LlmboSampler(BaseSampler):
    """LlmboSampler(seed=None, independent_sampler=None, problem=None, **options).

    options are the llmbo loop's options, the keys of a run config (docs/config.md):
    acquisition, init, gp, pending, noisy, acq, budget (the planned number of trials, used by
    the UCB schedule and an advisor's phase), strategy and advisor. GP + advisor mode:
    strategy="gp+llm" with advisor={...} as in a run config; problem describes the objective
    to the advisor. Bad options raise ValueError with llmbo's key path at construction."""

    def __init__(self, seed=None, independent_sampler=None, problem=None, **options):
        if "seed" in options:
            raise InvalidError("LlmboSampler: give the seed as seed=..., not as an option")
        if seed is None:
            seed = random.SystemRandom().randrange(1 << 32)
        self._seed = seed
        self._options = dict(options)
        self._options.pop("batch", None)
        self._problem = problem
        self._search_space = IntersectionSearchSpace()
        self._independent = independent_sampler or RandomSampler(seed=seed)
        self._lock = threading.Lock()
        self._advisor = None
        self.last_history = None
        if self._options.get("advisor") is not None:
            from .advisor import Advisor
            adv = self._options["advisor"]
            self._advisor = adv if isinstance(adv, Advisor) else Advisor(adv)
            self._options["advisor"] = self._advisor
        # Validates every option now, with llmbo's messages.
        Optimizer(_space.Space([_space.Continuous("x", 0, 1)]), problem=problem, seed=seed,
                  **self._options).close()

    @property
    def advisor_cost(self):
        """The advisor's cumulative cost over the study, or None without an advisor."""
        return self._advisor.cost() if self._advisor is not None else None

    def reseed_rng(self):
        self._seed = random.SystemRandom().randrange(1 << 32)
        self._independent.reseed_rng()

    def infer_relative_search_space(self, study, trial):
        if len(study.directions) > 1:
            raise InvalidError("LlmboSampler: a multi-objective study (%d objectives); llmbo "
                               "optimises one" % len(study.directions))
        space = {}
        for name, dist in self._search_space.calculate(study).items():
            if not dist.single():
                space[name] = dist
        return space

    def sample_relative(self, study, trial, search_space):
        if not search_space:
            return {}
        names = sorted(search_space)
        codecs = [_Codec(n, search_space[n]) for n in names]
        maximize = study.direction == optuna.study.StudyDirection.MAXIMIZE
        with self._lock:
            opt = Optimizer(_space.Space([c.param for c in codecs]), maximize=maximize,
                            problem=self._problem, seed=self._seed, **self._options)
            try:
                return self._propose(study, trial, codecs, opt)
            finally:
                opt.close()

    def _propose(self, study, trial, codecs, opt):
        d = len(codecs)
        next_id = 0
        for t in study.get_trials(deepcopy=False):
            if t.number == trial.number or t.state == TrialState.PRUNED:
                continue
            if t.state == TrialState.COMPLETE and t.values is None:
                continue
            x = []
            for c in codecs:
                if t.distributions.get(c.name) != c.dist:
                    break
                v = c.encode(t.params[c.name])
                if v is None:
                    break
                x.append(v)
            if len(x) != d:
                continue  # a trial without this space's parameters (or not yet sampled)
            source = t.system_attrs.get(_ATTR_SOURCE, "random")
            if source not in SOURCES:
                source = "random"
            theta = t.system_attrs.get(_ATTR_THETA)
            if not (isinstance(theta, list) and len(theta) == d + 2):
                theta = None
            opt.replay(next_id, x, source, theta)
            # Told right after its replay: a sequential study's own interleaving, under which
            # the recorded hyperparameters apply as in the original ask.
            if t.state == TrialState.COMPLETE:
                opt.tell(next_id, t.value)
            elif t.state == TrialState.FAIL:
                opt.tell(next_id, failed=True)
            next_id += 1
        # What the loop was given, for callers who check it (the tests do).
        self.last_history = {"told": opt.n_told, "failed": opt.n_failed,
                             "pending": opt.n_pending}
        (proposal,) = opt.ask(1)
        theta = opt.theta(proposal.id)
        storage = study._storage
        storage.set_trial_system_attr(trial._trial_id, _ATTR_SOURCE, proposal.source)
        if theta is not None:
            storage.set_trial_system_attr(trial._trial_id, _ATTR_THETA, theta)
        return {c.name: c.decode(v) for c, v in zip(codecs, proposal.x)}

    def sample_independent(self, study, trial, param_name, param_distribution):
        return self._independent.sample_independent(study, trial, param_name, param_distribution)
