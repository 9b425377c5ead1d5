"""Mixed-integer programs given as arrays (a sparse matrix), for large covering models.

Building a model of a few hundred thousand non-zeros term by term through
PuLP costs more than solving it; the scheduling MILP is assembled with NumPy
and SciPy and handed to HiGHS in one call (``Highs.passModel``). CBC is
reached through PuLP from the same arrays (slow to build, but it keeps
``solver="cbc"`` working everywhere).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import SolverError

__all__ = ["ArraySolution", "ColumnModel", "quiet_highs", "solve_arrays"]

_BANNER_DONE = False


@contextlib.contextmanager
def _stdout_to_devnull() -> Iterator[None]:
    """Send file descriptor 1 to /dev/null (HiGHS prints from C++, below ``sys.stdout``)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # a captured or replaced stdout
        fd = 1
    sys.stdout.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def quiet_highs() -> Any:
    """A ``highspy.Highs`` with output off; the once-per-process banner is swallowed.

    HiGHS prints its banner to the C ``stdout`` when the first ``Highs`` object
    of a process is made, before any option can be set; the first one is
    therefore made with file descriptor 1 pointed at /dev/null.
    """
    global _BANNER_DONE
    import highspy

    if not _BANNER_DONE:
        try:
            with _stdout_to_devnull():
                h = highspy.Highs()
        except OSError:  # pragma: no cover - no file descriptors to juggle
            h = highspy.Highs()
        _BANNER_DONE = True
    else:
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h


@dataclass(frozen=True)
class ArraySolution:
    """The outcome of :func:`solve_arrays`.

    Attributes
    ----------
    status : str
        ``"optimal"`` (within the requested gap), ``"feasible"`` (a solution,
        stopped early by the time limit) or ``"infeasible"``.
    x : numpy.ndarray
        Variable values (empty when infeasible).
    objective : float
        Objective value of ``x`` (minimisation).
    bound : float
        Best lower bound proven by the solver (the LP optimum when ``relax``).
    gap : float
        ``(objective - bound) / max(|objective|, 1e-9)``: 0 when proven optimal.
    cpu_seconds, seconds : float
        CPU and wall time of the solve (s), model hand-over included.
    solver : str
        ``"highs"`` or ``"cbc"``.
    """

    status: str
    x: np.ndarray
    objective: float
    bound: float
    gap: float
    cpu_seconds: float
    seconds: float
    solver: str


def _gap(objective: float, bound: float) -> float:
    if not (np.isfinite(objective) and np.isfinite(bound)):
        return float("nan")
    return max(0.0, objective - bound) / max(abs(objective), 1e-9)


def solve_arrays(
    c: np.ndarray,
    a: sp.spmatrix | sp.sparray,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    integer: np.ndarray,
    *,
    solver: str = "highs",
    time_limit: float | None = None,
    gap_rel: float | None = None,
    relax: bool = False,
    start: np.ndarray | None = None,
    options: Mapping[str, Any] | None = None,
) -> ArraySolution:
    """Minimise ``c @ x`` subject to ``row_lower <= a @ x <= row_upper`` and bounds.

    Parameters
    ----------
    c : ndarray, shape (n,)
        Objective coefficients.
    a : sparse matrix, shape (m, n)
        Constraint matrix.
    row_lower, row_upper : ndarray, shape (m,)
        Row bounds (``-inf`` / ``inf`` for none).
    col_lower, col_upper : ndarray, shape (n,)
        Variable bounds.
    integer : ndarray of bool, shape (n,)
        Which variables are integer.
    solver : {"highs", "cbc"}
        HiGHS in-process (default) or CBC through PuLP.
    time_limit : float, optional
        Seconds of solver time; stopping with a solution gives ``"feasible"``.
    gap_rel : float, optional
        Relative MIP gap at which to stop (HiGHS default 1e-4).
    relax : bool, default False
        Solve the LP relaxation instead (its optimum is the LP bound).
    start : ndarray, shape (n,), optional
        A feasible solution to start from (HiGHS only; ignored when invalid).
    options : mapping, optional
        HiGHS options set last (name -> value, e.g. ``{"solver": "simplex"}``);
        ignored by CBC.

    Returns
    -------
    ArraySolution

    Raises
    ------
    SolverError
        Unknown solver, a solver failure, or a stop without any solution.
    """
    key = solver.lower()
    if key not in ("highs", "cbc"):
        raise SolverError(
            f"The 'solver' parameter must be 'highs' or 'cbc'; got {solver!r} instead."
        )
    csc = sp.csc_matrix(a)
    csc.sort_indices()
    n = csc.shape[1]
    if key == "cbc":
        return _solve_cbc(c, csc, row_lower, row_upper, col_lower, col_upper, integer,
                          time_limit, gap_rel, relax)  # fmt: skip
    import highspy

    inf = highspy.kHighsInf
    h = quiet_highs()
    h.setOptionValue("threads", 1)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    if gap_rel is not None:
        h.setOptionValue("mip_rel_gap", float(gap_rel))
    integrality = np.where(np.asarray(integer, bool) & (not relax), 1, 0).astype(np.int32)
    if relax:
        # The LP bound of a large covering model: the interior-point method is several
        # times faster than the simplex here, and only the objective is used.
        h.setOptionValue("solver", "ipm")
        h.setOptionValue("run_crossover", "off")
    for name, value in (options or {}).items():
        if h.setOptionValue(str(name), value) == highspy.HighsStatus.kError:
            raise SolverError(f"HiGHS refused option {name!r} = {value!r}")

    def bounds(v: np.ndarray) -> np.ndarray:
        return np.clip(np.asarray(v, float), -inf, inf)

    t0, c0 = time.perf_counter(), time.process_time()
    status = h.passModel(
        int(n), int(csc.shape[0]), int(csc.nnz), highspy.MatrixFormat.kColwise,
        highspy.ObjSense.kMinimize, 0.0, np.asarray(c, float), bounds(col_lower),
        bounds(col_upper), bounds(row_lower), bounds(row_upper),
        csc.indptr.astype(np.int32), csc.indices.astype(np.int32),
        csc.data.astype(float), integrality,
    )  # fmt: skip
    if status == highspy.HighsStatus.kError:
        raise SolverError("HiGHS rejected the model (passModel returned an error)")
    if start is not None and not relax:
        idx = np.arange(n, dtype=np.int32)
        h.setSolution(int(n), idx, np.asarray(start, dtype=float))
    h.run()
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    model_status = h.getModelStatus()
    info = h.getInfo()
    ms = highspy.HighsModelStatus
    if model_status in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
        nan = float("nan")
        return ArraySolution("infeasible", np.empty(0), nan, nan, nan, cpu, wall, "highs")
    has_solution = int(info.primal_solution_status) == 2
    if not has_solution:
        raise SolverError(
            f"HiGHS returned no solution ({h.modelStatusToString(model_status)}); "
            f"raise time_limit (got {time_limit!r}) or simplify the request"
        )
    x = np.asarray(h.getSolution().col_value, float)
    objective = float(info.objective_function_value)
    is_mip = bool(integrality.any())
    bound = float(info.mip_dual_bound) if is_mip else objective
    proven = model_status == ms.kOptimal
    out_status = "optimal" if proven else "feasible"
    return ArraySolution(out_status, x, objective, bound, _gap(objective, bound), cpu, wall,
                         "highs")  # fmt: skip


def _solve_cbc(
    c: np.ndarray,
    csc: sp.csc_matrix,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    integer: np.ndarray,
    time_limit: float | None,
    gap_rel: float | None,
    relax: bool,
) -> ArraySolution:
    """The same model through PuLP and CBC (term by term; fine for small models)."""
    from ._pulp import Model, lin

    m = Model("arrays", maximize=False)
    xs = []
    for j in range(csc.shape[1]):
        lo = None if not np.isfinite(col_lower[j]) else float(col_lower[j])
        up = None if not np.isfinite(col_upper[j]) else float(col_upper[j])
        xs.append(m.integer(f"x{j}", lo, up) if integer[j] else m.continuous(f"x{j}", lo, up))
    csr = csc.tocsr()
    for i in range(csr.shape[0]):
        lo_i, hi_i = csr.indptr[i], csr.indptr[i + 1]
        expr = lin(
            float(v) * xs[j]
            for j, v in zip(csr.indices[lo_i:hi_i], csr.data[lo_i:hi_i], strict=True)
        )
        if np.isfinite(row_lower[i]) and row_lower[i] == row_upper[i]:
            m.add(expr == float(row_lower[i]), f"r{i}")
            continue
        if np.isfinite(row_lower[i]):
            m.add(expr >= float(row_lower[i]), f"r{i}l")
        if np.isfinite(row_upper[i]):
            m.add(expr <= float(row_upper[i]), f"r{i}u")
    m.set_objective(lin(float(cj) * xs[j] for j, cj in enumerate(c) if cj != 0.0))
    info = m.solve("cbc", time_limit=time_limit, gap_rel=gap_rel, relax=relax)
    if info.status == "infeasible":
        nan = float("nan")
        return ArraySolution("infeasible", np.empty(0), nan, nan, nan, info.cpu_seconds,
                             info.seconds, "cbc")  # fmt: skip
    x = np.array([m.value(v) for v in xs])
    objective = float(np.dot(c, x))
    # CBC through PuLP reports no bound: a proven optimum is its own bound.
    bound = objective if info.status == "optimal" else float("nan")
    return ArraySolution(info.status, x, objective, bound, _gap(objective, bound),
                         info.cpu_seconds, info.seconds, "cbc")  # fmt: skip


class ColumnModel:
    """A HiGHS model that grows by columns: LP re-solves from the last basis, then a MIP.

    The adapter's interface for column generation (the scheduling layer prices
    new columns from the row duals; only this module talks to HiGHS). Rows and
    the first columns are given as arrays like :func:`solve_arrays`.
    """

    def __init__(
        self,
        c: np.ndarray,
        a: sp.spmatrix | sp.sparray,
        row_lower: np.ndarray,
        row_upper: np.ndarray,
        col_lower: np.ndarray,
        col_upper: np.ndarray,
        integer: np.ndarray,
    ) -> None:
        import highspy

        self._hs = highspy
        self._inf = highspy.kHighsInf
        self.h = quiet_highs()
        self.h.setOptionValue("threads", 1)
        self.integer = list(np.asarray(integer, bool))
        self.cpu_seconds = 0.0
        csc = sp.csc_matrix(a)
        csc.sort_indices()
        c0 = time.process_time()
        status = self.h.passModel(
            int(csc.shape[1]), int(csc.shape[0]), int(csc.nnz), highspy.MatrixFormat.kColwise,
            highspy.ObjSense.kMinimize, 0.0, np.asarray(c, float), self._bounds(col_lower),
            self._bounds(col_upper), self._bounds(row_lower), self._bounds(row_upper),
            csc.indptr.astype(np.int32), csc.indices.astype(np.int32), csc.data.astype(float),
            np.zeros(csc.shape[1], dtype=np.int32),
        )  # fmt: skip
        self.cpu_seconds += time.process_time() - c0
        if status == highspy.HighsStatus.kError:
            raise SolverError("HiGHS rejected the model (passModel returned an error)")

    def _bounds(self, v: np.ndarray) -> np.ndarray:
        return np.clip(np.asarray(v, float), -self._inf, self._inf)

    @property
    def n_cols(self) -> int:
        """Columns so far."""
        return int(self.h.getNumCol())

    @property
    def n_rows(self) -> int:
        """Rows of the model."""
        return int(self.h.getNumRow())

    def add_columns(
        self,
        cost: np.ndarray,
        lower: np.ndarray,
        upper: np.ndarray,
        a: sp.spmatrix | sp.sparray,
        integer: np.ndarray,
    ) -> None:
        """Append columns (``a``: rows x new columns)."""
        csc = sp.csc_matrix(a)
        csc.sort_indices()
        c0 = time.process_time()
        self.h.addCols(
            int(csc.shape[1]), np.asarray(cost, float), self._bounds(lower), self._bounds(upper),
            int(csc.nnz), csc.indptr[:-1].astype(np.int32), csc.indices.astype(np.int32),
            csc.data.astype(float),
        )  # fmt: skip
        self.cpu_seconds += time.process_time() - c0
        self.integer.extend(np.asarray(integer, bool).tolist())

    def set_upper(self, cols: np.ndarray, upper: float) -> None:
        """Change the upper bound of columns ``cols`` (e.g. 0 to switch them off)."""
        idx = np.asarray(cols, dtype=np.int32)
        if idx.size:
            lo = np.zeros(idx.size)
            self.h.changeColsBounds(int(idx.size), idx, lo, np.full(idx.size, float(upper)))

    def set_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Change the lower and upper bounds of columns ``cols``."""
        idx = np.asarray(cols, dtype=np.int32)
        if idx.size:
            lo, hi = self._bounds(lower), self._bounds(upper)
            self.h.changeColsBounds(int(idx.size), idx, lo, hi)

    def solve_lp(
        self, time_limit: float | None = None
    ) -> tuple[str, float, np.ndarray, np.ndarray]:
        """The LP relaxation from the last basis: (status, objective, x, row duals).

        ``status`` is ``"optimal"``, ``"infeasible"`` or ``"stopped"``.
        """
        h = self.h
        h.setOptionValue("solver", "simplex")
        # new columns keep the last basis primal feasible: primal simplex goes on from it
        h.setOptionValue("simplex_strategy", 4)
        h.setOptionValue("time_limit", float(time_limit) if time_limit else self._inf)
        c0 = time.process_time()
        h.run()
        self.cpu_seconds += time.process_time() - c0
        ms = self._hs.HighsModelStatus
        status = h.getModelStatus()
        if status in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
            return "infeasible", float("nan"), np.empty(0), np.empty(0)
        if status != ms.kOptimal:
            return "stopped", float("nan"), np.empty(0), np.empty(0)
        sol = h.getSolution()
        obj = float(h.getInfo().objective_function_value)
        return "optimal", obj, np.asarray(sol.col_value, float), np.asarray(sol.row_dual, float)

    def solve_mip(
        self,
        *,
        gap_rel: float,
        time_limit: float | None = None,
        start: np.ndarray | None = None,
        stop_at: float | None = None,
        cpu_limit: float | None = None,
    ) -> ArraySolution:
        """Solve with the integer columns integer (the columns present now).

        ``stop_at``: stop as soon as a solution with objective ``<= stop_at``
        is found (a gap the caller proves against a bound of its own).
        ``cpu_limit``: stop after this many CPU seconds of this process (HiGHS's
        ``time_limit`` is wall-clock time, which a loaded machine stretches).
        ``start``: a feasible schedule the caller already has. It is *not* handed to
        HiGHS (see the comment below); it is returned, as "feasible", when HiGHS stops
        before finding a solution of its own.
        """
        h = self.h
        n = self.n_cols
        idx = np.arange(n, dtype=np.int32)
        integrality = np.where(np.asarray(self.integer, bool), 1, 0).astype(np.int32)
        h.changeColsIntegrality(n, idx, integrality)
        h.setOptionValue("solver", "choose")
        h.setOptionValue("mip_rel_gap", float(gap_rel))
        h.setOptionValue("time_limit", float(time_limit) if time_limit else self._inf)
        # HiGHS 1.16 values a MIP start (given, or the incumbent of an earlier run on this
        # model) in the presolved space without the presolve's objective offset and prunes
        # the search on that value: no start is handed over; it stays the caller's fallback
        h.clearSolver()

        watch = stop_at is not None or cpu_limit is not None
        c0 = time.process_time()

        def interrupt(event: Any) -> None:
            found = stop_at is not None and event.data_out.mip_primal_bound <= stop_at
            late = cpu_limit is not None and time.process_time() - c0 > cpu_limit
            if found or late:
                event.interrupt()

        if watch:
            h.cbMipInterrupt.subscribe(interrupt)
        t0 = time.perf_counter()
        try:
            h.run()
        finally:
            if watch:
                h.cbMipInterrupt.unsubscribe(interrupt)
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
        self.cpu_seconds += cpu
        ms = self._hs.HighsModelStatus
        status = h.getModelStatus()
        if status in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
            nan = float("nan")
            return ArraySolution("infeasible", np.empty(0), nan, nan, nan, cpu, wall, "highs")
        info = h.getInfo()
        if int(info.primal_solution_status) != 2 and start is not None:
            x0 = np.asarray(start, dtype=float)  # stopped before a schedule: the start's
            obj0 = float(np.dot(h.getLp().col_cost_, x0))
            return ArraySolution("feasible", x0, obj0, math.nan, math.nan, cpu, wall, "highs")
        if int(info.primal_solution_status) != 2:
            raise SolverError(
                f"HiGHS returned no solution ({h.modelStatusToString(status)}); "
                f"raise time_limit (got {time_limit!r}) or simplify the request"
            )
        x = np.asarray(h.getSolution().col_value, float)
        obj = float(info.objective_function_value)
        bound = float(info.mip_dual_bound)
        out = "optimal" if status == ms.kOptimal else "feasible"
        return ArraySolution(out, x, obj, bound, _gap(obj, bound), cpu, wall, "highs")
