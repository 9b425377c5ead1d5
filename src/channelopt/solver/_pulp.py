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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pulp

from ..errors import SolverError

__all__ = [
    "Model",
    "SolveInfo",
    "available_solvers",
    "lin",
    "lin_coefs",
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


def lin_coefs(pairs: Iterable[tuple[Any, float]], constant: float = 0.0) -> Any:
    """Affine expression ``sum(coef * var) + constant`` from ``(var, coef)`` pairs.

    One dict of coefficients, made once: no intermediate expression per term
    (``coef * var`` and ``lpSum`` make and merge one each), for long rows built
    in loops. A variable given twice gets the sum of its coefficients.
    """
    coefs: dict[Any, float] = {}
    for var, coef in pairs:
        if var in coefs:
            coefs[var] += coef
        else:
            coefs[var] = coef
    return pulp.LpAffineExpression(coefs, constant)


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


#: Hand HiGHS the model as arrays in one call (:meth:`Model._solve_highs`) instead of
#: through PuLP's HiGHS interface (column by column); False restores PuLP's path.
DIRECT_HIGHS = True


def _quiet_highs() -> Any:
    from ._arrays import quiet_highs

    return quiet_highs()


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
        start: Mapping[str, float] | None = None,
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
        start : mapping, optional
            Variable name -> value of a solution to start from (HiGHS only; a
            partial or infeasible one is completed or ignored by HiGHS). A
            re-solve of a similar model passes the last solution here.

        Returns
        -------
        SolveInfo
            Status ``optimal``/``feasible`` only when a solution exists.

        Raises
        ------
        SolverError
            When the solver fails or stops without any solution.
        """
        if solver.lower() == "highs" and hasattr(pulp, "HiGHS") and DIRECT_HIGHS:
            return self._solve_highs(time_limit, gap_rel, gap_abs, relax, start)
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

    def _solve_highs(
        self,
        time_limit: float | None,
        gap_rel: float | None,
        gap_abs: float | None,
        relax: bool,
        start: Mapping[str, float] | None,
    ) -> SolveInfo:
        """HiGHS in-process, the model handed over as arrays in one ``passModel`` call.

        PuLP's own HiGHS interface adds every column and row with a call of its
        own and reads back duals and slacks nobody here uses; this hands HiGHS
        the same model (same column order: PuLP's variables sorted by name; same
        rows, same bounds), so it takes the same path to the same solution.
        """
        import highspy
        import numpy as np

        prob = self.problem
        variables = prob.variables()
        n = len(variables)
        index = {id(v): i for i, v in enumerate(variables)}
        inf = highspy.kHighsInf
        maximise = prob.sense == pulp.LpMaximize
        cost = np.zeros(n)
        objective = prob.objective
        if objective is not None:
            for v, coef in objective.items():
                cost[index[id(v)]] += coef
        if maximise:
            cost = -cost  # HiGHS minimises; PuLP's HiGHS negates a maximisation the same way
        col_lower = np.array([-inf if v.lowBound is None else v.lowBound for v in variables], float)
        col_upper = np.array([inf if v.upBound is None else v.upBound for v in variables], float)
        integer = np.array(
            [(not relax) and v.cat == pulp.LpInteger for v in variables], dtype=np.int32
        )
        listed = prob.constraints
        # PuLP >= 3.3 (and 4.x): prob.constraints() is the list; older PuLP: a dict
        constraints = list(listed()) if callable(listed) else list(listed.values())
        row_lower = np.empty(len(constraints))
        row_upper = np.empty(len(constraints))
        starts = [0]
        cols: list[int] = []
        vals: list[float] = []
        for r, con in enumerate(constraints):
            lb, ub = con.getLb(), con.getUb()
            row_lower[r] = -inf if lb is None else lb
            row_upper[r] = inf if ub is None else ub
            for v, coef in con.items():
                if coef != 0:
                    cols.append(index[id(v)])
                    vals.append(coef)
            starts.append(len(cols))
        h = _quiet_highs()
        h.setOptionValue("threads", 1)
        if time_limit is not None:
            h.setOptionValue("time_limit", float(time_limit))
        if gap_rel is not None:
            h.setOptionValue("mip_rel_gap", float(gap_rel))
        if gap_abs is not None:
            h.setOptionValue("mip_abs_gap", float(gap_abs))
        t0, c0 = time.perf_counter(), time.process_time()
        status = h.passModel(
            n, len(constraints), len(cols), int(highspy.MatrixFormat.kRowwise),
            int(highspy.ObjSense.kMinimize), 0.0, cost, col_lower, col_upper, row_lower,
            row_upper, np.asarray(starts, np.int32), np.asarray(cols, np.int32),
            np.asarray(vals, float), integer,
        )  # fmt: skip
        if status == highspy.HighsStatus.kError:
            raise SolverError("HiGHS rejected the model (passModel returned an error)")
        if start and integer.any():
            known = [(index[id(v)], float(start[v.name])) for v in variables if v.name in start]
            if known:
                idx, val = zip(*known, strict=True)
                h.setSolution(len(idx), np.asarray(idx, np.int32), np.asarray(val, float))
        h.run()
        seconds = time.perf_counter() - t0
        ms = highspy.HighsModelStatus
        model_status = h.getModelStatus()
        info = h.getInfo()
        cpu = time.process_time() - c0
        nan = float("nan")
        if model_status in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
            return SolveInfo("highs", "infeasible", nan, nan, seconds, cpu)
        if model_status == ms.kUnbounded:
            return SolveInfo("highs", "unbounded", nan, nan, seconds, cpu)
        if int(info.primal_solution_status) != 2:
            raise SolverError(
                f"solver 'highs' returned no solution ({h.modelStatusToString(model_status)}); "
                f"raise time_limit (got {time_limit!r}) or simplify the request"
            )
        x = h.getSolution().col_value
        for i, v in enumerate(variables):
            v.varValue = x[i]
        value = float(pulp.value(objective) or 0.0) if objective is not None else 0.0
        proven = model_status == ms.kOptimal
        if relax or not integer.any():
            bound = value if proven else nan
        else:
            constant = float(getattr(objective, "constant", 0.0) or 0.0)
            dual = float(info.mip_dual_bound)
            bound = (-dual if maximise else dual) + constant
        return SolveInfo("highs", "optimal" if proven else "feasible", value, bound, seconds, cpu)

    def solution(self) -> dict[str, float]:
        """Variable name -> value of the last solution (a ``start`` for a re-solve)."""
        return {
            v.name: float(v.varValue) for v in self.problem.variables() if v.varValue is not None
        }

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
