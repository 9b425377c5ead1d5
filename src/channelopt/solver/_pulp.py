"""The one adapter between channelopt and PuLP.

Every PuLP call of the library lives in this module, so that both PuLP 3.x
(bundled CBC through ``PULP_CBC_CMD``, integer statuses, free-standing
``LpVariable``) and PuLP 4.x (``prob.add_variable``, status objects, CBC only
through ``pulp[cbc]`` / ``COIN_CMD``) work. Features are detected, never
inferred from a version string.

Two rules planning and scheduling rely on:

* expressions are built with :func:`lin` (``pulp.lpSum`` / affine
  expressions), never Python's ``sum()``, which is quadratic in PuLP;
* a solve is accepted only when a solution exists (``sol_status``), never on
  the status alone: PuLP 3 reports a CBC time-out as "Optimal".
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pulp

from ..errors import SolverError

__all__ = [
    "Model",
    "SolveInfo",
    "available_solvers",
    "lin",
    "pulp_version",
]

pulp_version: str = str(getattr(pulp, "__version__", "unknown"))

# PuLP's numeric codes (identical in 3.x and 4.x; 4.x may wrap them in objects).
_STATUS_OPTIMAL = 1
_STATUS_INFEASIBLE = -1
_STATUS_UNBOUNDED = -2
_SOL_OPTIMAL = 1
_SOL_FEASIBLE = 2  # integer feasible, not proven optimal (time limit, gap)
_SOL_INFEASIBLE = -1
_SOL_UNBOUNDED = -2


def _code(status: Any) -> int:
    """Integer code of a PuLP status (PuLP 3: int; PuLP 4: enum-like object)."""
    if isinstance(status, int):
        return status
    for attr in ("value", "code"):
        inner = getattr(status, attr, None)
        if isinstance(inner, int):
            return inner
    try:
        return int(status)
    except (TypeError, ValueError):
        raise SolverError(f"unrecognised PuLP status {status!r} (PuLP {pulp_version})") from None


def lin(terms: Iterable[Any]) -> Any:
    """Affine expression of ``terms`` (variables, ``coef * var`` or numbers) via ``lpSum``."""
    return pulp.lpSum(terms)


def _has_cbc() -> bool:
    return hasattr(pulp, "PULP_CBC_CMD") or hasattr(pulp, "COIN_CMD")


def available_solvers() -> list[str]:
    """Solvers this installation can use, in channelopt's names (``"highs"``, ``"cbc"``)."""
    found = []
    try:
        names = set(pulp.listSolvers(onlyAvailable=True))
    except Exception:  # pragma: no cover - defensive against API drift
        names = set()
    if "HiGHS" in names:
        found.append("highs")
    if "PULP_CBC_CMD" in names or "COIN_CMD" in names:
        found.append("cbc")
    return found


def _swallow_banner() -> None:
    """Make the process's first ``highspy.Highs`` quietly (its banner goes to C stdout)."""
    from . import _arrays

    if not _arrays._BANNER_DONE:
        _arrays.quiet_highs()


def _make_solver(
    solver: str,
    time_limit: float | None,
    gap_rel: float | None,
    gap_abs: float | None,
    mip: bool = True,
) -> Any:
    key = solver.lower()
    if key == "highs":
        if not hasattr(pulp, "HiGHS"):
            raise SolverError(
                f"solver 'highs' is not available in PuLP {pulp_version}; install highspy"
            )
        _swallow_banner()
        return pulp.HiGHS(
            mip=mip, msg=False, timeLimit=time_limit, gapRel=gap_rel, gapAbs=gap_abs, threads=1
        )
    if key == "cbc":
        names = set(pulp.listSolvers(onlyAvailable=True))
        with warnings.catch_warnings():
            # PuLP 3.3 warns that PULP_CBC_CMD goes away in 4.0; that is why we also try COIN_CMD.
            warnings.simplefilter("ignore", DeprecationWarning)
            if "PULP_CBC_CMD" in names:
                return pulp.PULP_CBC_CMD(
                    mip=mip, msg=False, timeLimit=time_limit, gapRel=gap_rel, gapAbs=gap_abs
                )
            if "COIN_CMD" in names:
                return pulp.COIN_CMD(
                    mip=mip, msg=False, timeLimit=time_limit, gapRel=gap_rel, gapAbs=gap_abs
                )
        raise SolverError(
            f"solver 'cbc' is not available in PuLP {pulp_version}; "
            "install it with `pip install pulp[cbc]` or use solver='highs'"
        )
    raise SolverError(f"The 'solver' parameter must be 'highs' or 'cbc'; got {solver!r} instead.")


@dataclass(frozen=True)
class SolveInfo:
    """What one solve returned.

    Attributes
    ----------
    solver : str
        ``"highs"`` or ``"cbc"``.
    status : str
        ``"optimal"`` (proven within the requested gap), ``"feasible"`` (a
        solution, stopped early: time limit), ``"infeasible"`` or ``"unbounded"``.
    objective : float
        Objective value of the solution (nan without one).
    bound : float
        Best bound the solver proved (nan when the solver does not report it).
    seconds : float
        Wall time of the solver call (s).
    cpu_seconds : float
        CPU time of this process during the solver call (s); HiGHS runs
        in-process with one thread, so this is the solver's CPU time (CBC runs
        as a child process and is not counted).
    """

    solver: str
    status: str
    objective: float
    bound: float
    seconds: float
    cpu_seconds: float = float("nan")

    @property
    def has_solution(self) -> bool:
        """Whether variable values are available."""
        return self.status in ("optimal", "feasible")


class Model:
    """A PuLP problem with channelopt's vocabulary (maximisation by default).

    Parameters
    ----------
    name : str
        Problem name (letters, digits, underscores).
    maximize : bool, default True
        Sense of the objective.
    """

    def __init__(self, name: str, *, maximize: bool = True) -> None:
        sense = pulp.LpMaximize if maximize else pulp.LpMinimize
        self.problem = pulp.LpProblem(name, sense)
        self._native_add = hasattr(self.problem, "add_variable")
        self._n = 0
        self._m = 0

    # variables -------------------------------------------------------------
    def _var(self, name: str, low: float | None, up: float | None, cat: str) -> Any:
        self._n += 1
        if self._native_add:
            return self.problem.add_variable(name, low, up, cat)
        return pulp.LpVariable(name, low, up, cat)  # pragma: no cover - PuLP < 3.3

    def binary(self, name: str) -> Any:
        """A new 0/1 variable."""
        return self._var(name, 0, 1, pulp.LpBinary)

    def continuous(self, name: str, low: float | None = 0.0, up: float | None = None) -> Any:
        """A new continuous variable in ``[low, up]`` (``None``: unbounded)."""
        return self._var(name, low, up, pulp.LpContinuous)

    def integer(self, name: str, low: float | None = 0.0, up: float | None = None) -> Any:
        """A new integer variable in ``[low, up]`` (``None``: unbounded)."""
        return self._var(name, low, up, pulp.LpInteger)

    @property
    def n_variables(self) -> int:
        """Variables created so far."""
        return self._n

    # constraints and objective ----------------------------------------------
    def add(self, constraint: Any, name: str | None = None) -> None:
        """Add a constraint built with ``<=``, ``>=`` or ``==`` on expressions."""
        if isinstance(constraint, bool):
            # A comparison of constants: keep the model honest instead of letting PuLP drop it.
            if not constraint:
                raise SolverError(f"constraint {name!r} is a constant that is always false")
            return
        if hasattr(self.problem, "addConstraint"):
            self.problem.addConstraint(constraint, name)
        else:  # pragma: no cover - a PuLP without addConstraint: the operator form
            self.problem += (constraint, name)
        self._m += 1

    @property
    def n_constraints(self) -> int:
        """Constraints added so far."""
        return self._m

    def set_objective(self, expression: Any) -> None:
        """Set the objective expression."""
        if hasattr(self.problem, "setObjective"):
            self.problem.setObjective(expression)
        else:  # pragma: no cover - a PuLP without setObjective
            self.problem.objective = expression

    # solving ----------------------------------------------------------------
    def solve(
        self,
        solver: str = "highs",
        *,
        time_limit: float | None = None,
        gap_rel: float | None = None,
        gap_abs: float | None = None,
        relax: bool = False,
    ) -> SolveInfo:
        """Solve and classify the outcome.

        Parameters
        ----------
        solver : {"highs", "cbc"}
            HiGHS in-process (highspy) or CBC.
        time_limit : float, optional
            Seconds of solver time.
        gap_rel, gap_abs : float, optional
            Relative and absolute MIP gaps on the objective.
        relax : bool, default False
            Solve the LP relaxation (integrality dropped): its objective is the
            LP bound of the integer model. Variable values are then fractional.

        Returns
        -------
        SolveInfo
            Status ``optimal``/``feasible`` only when a solution exists.

        Raises
        ------
        SolverError
            When the solver fails or stops without any solution.
        """
        backend = _make_solver(solver, time_limit, gap_rel, gap_abs, mip=not relax)
        t0 = time.perf_counter()
        c0 = time.process_time()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                status = _code(self.problem.solve(backend))
        except pulp.PulpSolverError as exc:
            raise SolverError(f"solver {solver!r} failed: {exc}") from exc
        seconds = time.perf_counter() - t0
        cpu = time.process_time() - c0
        nan = float("nan")
        sol = _code(getattr(self.problem, "sol_status", status))
        if status == _STATUS_INFEASIBLE or sol == _SOL_INFEASIBLE:
            return SolveInfo(solver, "infeasible", nan, nan, seconds, cpu)
        if status == _STATUS_UNBOUNDED or sol == _SOL_UNBOUNDED:
            return SolveInfo(solver, "unbounded", nan, nan, seconds, cpu)
        has_values = all(v.varValue is not None for v in self.problem.variables())
        if sol not in (_SOL_OPTIMAL, _SOL_FEASIBLE) or not has_values:
            raise SolverError(
                f"solver {solver!r} returned no solution (status {status}, solution status "
                f"{sol}); raise time_limit (got {time_limit!r}) or simplify the request"
            )
        objective = float(pulp.value(self.problem.objective) or 0.0)
        proven = sol == _SOL_OPTIMAL and status == _STATUS_OPTIMAL
        # An LP optimum is its own bound; a MIP's bound comes from the solver.
        bound = objective if (relax and proven) else self._bound(solver)
        status_name = "optimal" if proven else "feasible"
        return SolveInfo(solver, status_name, objective, bound, seconds, cpu)

    def _bound(self, solver: str) -> float:
        """Best bound on the objective in PuLP's sense (HiGHS only; nan otherwise)."""
        highs = getattr(self.problem, "solverModel", None)
        if solver != "highs" or highs is None:
            return float("nan")
        try:
            info = highs.getInfo()
            dual = float(info.mip_dual_bound)
            theirs = float(info.objective_function_value)
        except Exception:  # pragma: no cover - LP without MIP info
            return float("nan")
        # PuLP hands HiGHS the objective without its constant, negated when maximising.
        constant = float(getattr(self.problem.objective, "constant", 0.0) or 0.0)
        ours = float(pulp.value(self.problem.objective) or 0.0) - constant
        if abs(ours) > 1e-9:
            sign = -1.0 if abs(theirs + ours) < abs(theirs - ours) else 1.0
        else:  # PuLP 3.x negates a maximisation for HiGHS
            sign = -1.0 if self.problem.sense == pulp.LpMaximize else 1.0
        return sign * dual + constant

    @staticmethod
    def value(var: Any) -> float:
        """Value of a variable or expression in the solution (0 when unset)."""
        out = pulp.value(var)
        return 0.0 if out is None else float(out)
