"""Safe evaluator for analysis successCondition/failureCondition, as Argo Rollouts v1.9.1 runs them.

Upstream v1.9.1 compiles conditions with `github.com/antonmedv/expr` v1.15.5 against an env of
`result` plus asInt/asFloat/isNaN/isInf/isNil/default, then runs them; errors are reported with
their location suffix removed. We mirror that pipeline: lex -> parse -> static type check (types
come from the env values, so `[]float64 >= float64` fails before anything runs) -> evaluate.

Why a hand-written Pratt parser rather than a grammar library such as lark: expr's grammar has
context rules a generic grammar fights (`#` only inside predicate closures, `not in`, postfix
`?.`/slices, precedence of unary `not` above comparisons) and we must reproduce its exact error
texts ("unexpected token ...", "unknown name ..."); a ~300-line parser gives both with no new
dependency. Nothing here calls Python's eval/exec.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from clusters.embedded.rollouts.expr_builtins import go_format
from clusters.embedded.rollouts.expr_checker import check
from clusters.embedded.rollouts.expr_lexer import ExprError
from clusters.embedded.rollouts.expr_parser import parse
from clusters.embedded.rollouts.expr_runtime import run
from clusters.embedded.rollouts.expr_types import (
    ANY,
    BOOL,
    FLOAT,
    INT64,
    Float64Slice,
    GoType,
    Int64,
    func_type,
    go_type_name,
    static_type_of,
)

__all__ = [
    "ExprError",
    "Float64Slice",
    "GoFunc",
    "Int64",
    "condition_env",
    "evaluate",
    "evaluate_condition",
    "evaluate_result",
    "json_value",
]

_PARSE_INT = re.compile(r"[+-]?[0-9]+\Z")
_PARSE_FLOAT = re.compile(
    r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)\Z", re.I
)


@dataclass(frozen=True)
class GoFunc:
    """A function placed in the env, with the Go signature the checker should see."""

    fn: Callable[..., Any]
    signature: GoType

    def __call__(self, *args: Any) -> Any:
        return self.fn(*args)


def json_value(value: Any) -> Any:
    """Convert a Python JSON value to what Go's encoding/json yields: every number is float64."""
    if isinstance(value, bool) or value is None or isinstance(value, str | float):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, Float64Slice):
        return Float64Slice(float(v) for v in value)
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    return value


def _env_type(value: Any) -> GoType | None:
    if isinstance(value, GoFunc):
        return value.signature
    if callable(value):
        return ANY
    return static_type_of(value)


def evaluate(expression: str, env: dict[str, Any]) -> Any:
    """Compile `expression` against the types of `env` and run it; raise ExprError on failure."""
    tree = parse(expression)
    check(tree, {name: _env_type(value) for name, value in env.items()})
    return run(tree, env)


def _not_supported(name: str, value: Any) -> ExprError:
    shown = "<nil>" if value is None else go_format(value)
    return ExprError(f"{name}() not supported on {go_type_name(value)} {shown}")


def _as_int(value: Any) -> Int64:
    if isinstance(value, bool) or value is None or isinstance(value, list | dict):
        raise _not_supported("asInt", value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return Int64(-(2**63))
        return Int64(int(value))
    if isinstance(value, int):
        return Int64(value)
    if isinstance(value, str):
        if not _PARSE_INT.match(value):
            raise ExprError(f'strconv.ParseInt: parsing "{value}": invalid syntax')
        number = int(value)
        if not -(2**63) <= number < 2**63:
            raise ExprError(f'strconv.ParseInt: parsing "{value}": value out of range')
        return Int64(number)
    raise _not_supported("asInt", value)


def _as_float(value: Any) -> float:
    if isinstance(value, bool) or value is None or isinstance(value, list | dict):
        raise _not_supported("asFloat", value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        if not _PARSE_FLOAT.match(value):
            raise ExprError(f'strconv.ParseFloat: parsing "{value}": invalid syntax')
        return float(value)
    raise _not_supported("asFloat", value)


def _float_arg(value: Any) -> float:
    if not isinstance(value, float):
        raise ExprError(
            f"interface conversion: interface {{}} is {go_type_name(value)}, not float64"
        )
    return value


def _is_nil(value: Any) -> bool:
    return value is None


def condition_env(result: Any) -> dict[str, Any]:
    """The env upstream's EvalCondition builds around one measurement value."""
    return {
        "result": result,
        "asInt": GoFunc(_as_int, func_type((ANY,), INT64)),
        "asFloat": GoFunc(_as_float, func_type((ANY,), FLOAT)),
        "isNaN": GoFunc(lambda f: math.isnan(_float_arg(f)), func_type((FLOAT,), BOOL)),
        "isInf": GoFunc(lambda f: math.isinf(_float_arg(f)), func_type((FLOAT,), BOOL)),
        "isNil": GoFunc(lambda _ignored: _is_nil(result), func_type((ANY,), BOOL)),
        "default": GoFunc(
            lambda _ignored, fallback: fallback if _is_nil(result) else result,
            func_type((ANY, ANY), ANY),
        ),
    }


def evaluate_condition(expression: str, result: Any) -> bool:
    """Evaluate one condition against a measurement value (JSON ints become float64 first)."""
    output = evaluate(expression, condition_env(json_value(result)))
    if not isinstance(output, bool):
        raise ExprError(f"expected bool, but got {go_type_name(output)}")
    return output


def evaluate_result(
    result: Any, success_condition: str = "", failure_condition: str = ""
) -> tuple[str, str]:
    """Upstream EvaluateResult: (measurement phase, error message or "") for one value.

    Both conditions absent -> Successful; only success -> Failed when false; only failure ->
    Successful when false; both -> failure wins, neither true -> Inconclusive.
    """
    success = failure = False
    try:
        if success_condition:
            success = evaluate_condition(success_condition, result)
        if failure_condition:
            failure = evaluate_condition(failure_condition, result)
    except ExprError as error:
        return "Error", error.message
    if not success_condition and not failure_condition:
        return "Successful", ""
    if success_condition and not failure_condition:
        failure = not success
    elif failure_condition and not success_condition:
        success = not failure
    if failure:
        return "Failed", ""
    if not success:
        return "Inconclusive", ""
    return "Successful", ""
