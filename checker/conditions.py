"""Evaluate AnalysisTemplate success/failure conditions exactly as the emulated controller does.

A thin seam over `clusters.embedded.rollouts.expr` (the expr-language engine the embedded
analysis controller runs), so a condition the checker accepts is one the cluster accepts.
"""

from __future__ import annotations

from typing import Any

from clusters.embedded.rollouts.expr import ExprError, evaluate_result
from clusters.embedded.rollouts.expr import evaluate_condition as _evaluate

__all__ = ["ConditionError", "decide_measurement", "evaluate_condition"]


class ConditionError(Exception):
    """The condition does not compile or cannot be evaluated on the given result."""


def evaluate_condition(expression: str, result: Any) -> bool:
    """True/False for `expression` with `result` bound; ConditionError when it cannot decide."""
    try:
        return _evaluate(expression, result)
    except ExprError as error:
        raise ConditionError(error.message) from error
    except (ArithmeticError, RecursionError, TypeError, ValueError) as error:
        raise ConditionError(f"{type(error).__name__}: {error}") from error


def decide_measurement(metric: dict[str, Any], result: Any) -> str:
    """Successful / Failed / Inconclusive / Error for one measured value (upstream rules)."""
    success = metric.get("successCondition")
    failure = metric.get("failureCondition")
    try:
        phase, _ = evaluate_result(
            result,
            success if isinstance(success, str) else "",
            failure if isinstance(failure, str) else "",
        )
    except (ArithmeticError, RecursionError, TypeError, ValueError):
        return "Error"
    return phase
