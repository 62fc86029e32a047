"""Analysis condition expressions behave like upstream v1.9.1 (antonmedv/expr v1.15.5)."""

from __future__ import annotations

import math

import pytest

from clusters.embedded.rollouts.expr import (
    ExprError,
    Float64Slice,
    evaluate,
    evaluate_condition,
    evaluate_result,
    json_value,
)

VEC = Float64Slice

# (expression, result value, expected bool)
TRUE_FALSE_CASES = [
    ("result == 1", 1, True),  # JSON 1 is float64 1.0; int literal compares by value
    ("result == 1.0", 1, True),
    ("result != 1", 2, True),
    ("result >= 0.95", 0.97, True),
    ("result < .5", 0.7, False),
    ("result[0] >= 0.95", VEC([0.99]), True),
    ("result[-1] > 5", VEC([1.0, 6.0]), True),
    ("len(result) == 0 || result[0] >= 0.95", VEC([]), True),
    ("len(result) > 0 && result[0] >= 0.95", VEC([]), False),
    ("result == true", True, True),
    ("result.data.ok == true", {"data": {"ok": True}}, True),
    ('result["data"]["ok"]', {"data": {"ok": True}}, True),
    ('result.status == "ok"', {"status": "ok"}, True),
    ("result.status == 'ok'", {"status": "ok"}, True),
    ("result.missing == nil", {"status": "ok"}, True),
    ('result.flag == "true"', {"flag": True}, False),  # interface{} sides: just unequal
    ("asFloat(result) >= 0.95", "0.97", True),
    ("asInt(result) == 3", "3", True),
    ("asInt(result) == 3", 3.9, True),  # float truncates
    ("isNaN(result)", math.nan, True),
    ("isInf(result)", -math.inf, True),
    ("result >= 0.95 || result < 0.95", math.nan, False),
    ("isNil(result)", None, True),
    ("isNil(result)", 0.0, False),
    ("default(result, 5) == 5", None, True),
    ("default(result, 5) == 7", 7, True),
    ("1 + 2 * 3 == 7", 0, True),
    ("(1 + 2) * 3 == 9", 0, True),
    ("2 ** 3 ** 2 == 512", 0, True),  # right associative
    ("2 ^ 3 == 8", 0, True),
    ("-2 ** 2 == -4", 0, True),  # ** binds tighter than unary minus
    ("7 % 3 == 1", 0, True),
    ("1 / 2 == 0.5", 0, True),  # division is always float
    ("not true == false", 0, True),  # `not` binds tighter than ==
    ("!false && true", 0, True),
    ("true and not false", 0, True),
    ("false or true", 0, True),
    ("result > 5 ? true : false", 6, True),
    ("'b' in result", ["a", "b"], True),
    ("2 in result", [1, 2], True),
    ("'x' not in result", {"y": 1}, True),
    ("'k' in result", {"k": None}, True),
    ("all(result, # > 0.9)", VEC([0.95, 0.99]), True),
    ("any(result, {# < 0.5})", VEC([0.95, 0.4]), True),
    ("none(result, # < 0.5)", VEC([0.95, 0.99]), True),
    ("one(result, # > 0.96)", VEC([0.95, 0.99]), True),
    ("len(filter(result, # > 1)) == 2", [1, 2, 3], True),
    ("map(result, # * 2)[2] == 6", [1, 2, 3], True),
    ("count(result, .ok) == 1", [{"ok": True}, {"ok": False}], True),
    ("abs(result) == 3", -3, True),
    ("max(1, 5, 3) == 5 && min(4, 2) == 2", 0, True),
    ("len(result) == 3", "abc", True),
    ("result matches '^v[0-9]+$'", "v12", True),
    ("result startsWith 'ab' && result endsWith 'yz' && result contains 'k'", "abkyz", True),
    ("3 in 1..5", 0, True),
    ("result.b?.c == nil", {"b": None}, True),
    ("(result.a ?? 4) == 4", {}, True),
    ("sum(result) == 6 && mean(result) == 2", [1, 2, 3], True),
    ("result[1:] == [2, 3]", [1, 2, 3], False),  # DeepEqual: float64 items vs int literals
    ("upper(result) == 'OK'", "ok", True),
]


@pytest.mark.parametrize(("expression", "result", "expected"), TRUE_FALSE_CASES)
def test_condition_truth_table(expression: str, result: object, expected: bool) -> None:
    assert evaluate_condition(expression, result) is expected


ERROR_CASES = [
    # Type errors upstream reports at compile time (static types come from the env values).
    (
        "result >= 0.95",
        VEC([0.97]),
        "invalid operation: >= (mismatched types []float64 and float64)",
    ),
    ("result < 1", [1], "invalid operation: < (mismatched types []interface {} and int)"),
    ('result == "true"', True, "invalid operation: == (mismatched types bool and string)"),
    ("result && true", "x", "invalid operation: && (mismatched types string and bool)"),
    ("result > 1", None, "invalid operation: > (mismatched types <nil> and int)"),
    ("!result", 1, "invalid operation: ! (mismatched type float64)"),
    ("result.x > 1", None, "type <nil> has no field x"),
    (
        'result["a"] == 1',
        VEC([1.0]),
        "array elements can only be selected using an integer (got string)",
    ),
    ("result[0] == 1", {"a": 1}, "cannot use int to get an element from map[string]interface {}"),
    ("result.x == 1", 1.0, "type float64[string] is undefined"),
    ("isNaN(result)", VEC([1.0]), "cannot use []float64 as argument (type float64) to call isNaN "),
    ("len(result) > 1", 2.0, "invalid argument for len (type float64)"),
    ("1 in ['a']", 0, "cannot use int as type string in array"),
    ("all(result, # > 1)", 5, "builtin all takes only array (got float64)"),
    ("result ? true : false", 1, "non-bool expression (type float64) used as condition"),
    ("asInt(1, 2) == 1", 0, "too many arguments to call asInt"),
    # Unknown identifiers are compile errors.
    ("foo > 1", 0, "unknown name foo"),
    ("rezult == 1", 0, "unknown name rezult"),
    ("bar(result)", 0, "unknown name bar"),
    # Run-time errors (values read out of JSON maps are interface {} until run time).
    ("result[0] >= 0.95", VEC([]), "reflect: slice index out of range"),
    ("result[0] >= 0.95", [], "reflect: slice index out of range"),
    ("result.x > 1", {}, "invalid operation: <nil> > int"),
    ("result.x < 'a'", {"x": 1}, "invalid operation: float64 < string"),
    ("result.a.b == 1", {}, "cannot fetch b from <nil>"),
    ("result.x && true", {"x": "y"}, "interface conversion: interface {} is string, not bool"),
    ("asInt(result) == 1", "1.1", 'strconv.ParseInt: parsing "1.1": invalid syntax'),
    ("asFloat(result) > 1", "abc", 'strconv.ParseFloat: parsing "abc": invalid syntax'),
    ("asInt(result) == 1", True, "asInt() not supported on bool true"),
    ("isNaN(result.v)", {"v": "x"}, "interface conversion: interface {} is string, not float64"),
    # Non-bool results.
    ("result", 0.5, "expected bool, but got float64"),
    ("result + 1", 0.5, "expected bool, but got float64"),
    ("1 + 1", 0, "expected bool, but got int"),
    ("asInt(result)", 2, "expected bool, but got int64"),
    ("result", None, "expected bool, but got <nil>"),
    ("result", [1], "expected bool, but got []interface {}"),
    ("result.a", {"a": "s"}, "expected bool, but got string"),
    # Syntax errors.
    ("result >", 0, "unexpected token EOF"),
    ("(result > 1", 0, "unexpected token EOF"),
    ("result > 1)", 0, 'unexpected token Bracket(")")'),
    ("result = 1", 0, 'unexpected token Operator("=")'),
    ("result @ 1", 0, "unrecognized character: U+0040 '@'"),
    ("'abc", 0, "literal not terminated"),
    ("# > 1", 0, "cannot use pointer accessor outside closure"),
    (
        "result.a ?? 4 == 4",
        {},
        "Operator (==) and coalesce expressions (??) cannot be mixed. Wrap either by parentheses.",
    ),
]


@pytest.mark.parametrize(("expression", "result", "message"), ERROR_CASES)
def test_condition_errors_use_upstream_wording(
    expression: str, result: object, message: str
) -> None:
    with pytest.raises(ExprError) as caught:
        evaluate_condition(expression, result)
    assert caught.value.message == message


def test_short_circuit_skips_runtime_errors_on_the_right() -> None:
    assert evaluate_condition("len(result) == 0 || result[0] > 1", []) is True
    assert evaluate_condition("len(result) > 0 && result[0] > 1", []) is False
    assert evaluate_condition("true || result.a.b", {}) is True


def test_short_circuit_does_not_skip_compile_errors() -> None:
    with pytest.raises(ExprError, match="mismatched types bool and string"):
        evaluate_condition('true || result == "x"', True)


def test_default_and_isnil_ignore_their_first_argument() -> None:
    # Upstream's default() tests the whole result, not the argument it is given.
    assert evaluate("default(result.x, 0)", _env({"x": None})) == {"x": None}


def _env(result: object) -> dict[str, object]:
    from clusters.embedded.rollouts.expr import condition_env

    return condition_env(json_value(result))


def test_json_numbers_become_float64() -> None:
    assert json_value({"a": [1, True, "s", None]}) == {"a": [1.0, True, "s", None]}
    assert isinstance(json_value(3), float)
    assert evaluate("result.a[0] + 1", _env({"a": [1]})) == 2.0


def test_integer_arithmetic_stays_integer() -> None:
    assert evaluate("7 / 2", {}) == 3.5
    assert evaluate("7 % 2", {}) == 1
    assert isinstance(evaluate("3 * 4", {}), int)
    assert evaluate("1 / 0", {}) == math.inf


def test_evaluate_accepts_custom_env_names() -> None:
    assert evaluate("limit > value", {"limit": 10, "value": 3.5}) is True
    with pytest.raises(ExprError, match="unknown name other"):
        evaluate("other", {"limit": 10})


def test_string_builtin_formats_like_go() -> None:
    assert evaluate("string(1e6)", {}) == "1e+06"
    assert evaluate("string(123456.0)", {}) == "123456"
    assert evaluate("string(0.5)", {}) == "0.5"
    assert evaluate("string(0.00001)", {}) == "1e-05"


@pytest.mark.parametrize(
    ("success", "failure", "value", "phase"),
    [
        ("", "", 0.1, "Successful"),  # no conditions at all: Successful (docs say otherwise)
        ("result >= 0.95", "", 0.9, "Failed"),
        ("result >= 0.95", "", 0.99, "Successful"),
        ("", "result < 0.5", 0.9, "Successful"),
        ("", "result < 0.5", 0.1, "Failed"),
        ("result >= 0.95", "result < 0.5", 0.7, "Inconclusive"),
        ("result >= 0.5", "result >= 0.9", 0.95, "Failed"),  # failure wins over success
        ("result >= 0.95", "result < 0.95", math.nan, "Inconclusive"),
    ],
)
def test_evaluate_result_decides_measurement_phase(
    success: str, failure: str, value: float, phase: str
) -> None:
    assert evaluate_result(value, success, failure) == (phase, "")


def test_evaluate_result_reports_the_bare_error() -> None:
    phase, message = evaluate_result(True, 'result == "true"')
    assert phase == "Error"
    assert message == "invalid operation: == (mismatched types bool and string)"


@pytest.mark.parametrize(
    ("result", "expression", "expected"),
    [
        ({"a": {"label": None, "v": {"v": [2, 2]}}}, "all(result.a.v.v, {# > 1})", True),
        (VEC([2.0, 2.0]), "2 in result", True),
        (5.0, "result > 1", True),
        ("1", "asInt(result) == 1", True),
        (1.123, "asInt(result) == 1", True),
        ("1.1", "asFloat(result) == 1.1", True),
        ("1.1", "asFloat(result) <= 1.1", True),
        (1, "asFloat(result) >= 1", True),
    ],
)  # fmt: skip
def test_cases_mirroring_upstream_unit_tests(
    result: object, expression: str, expected: bool
) -> None:
    assert evaluate_condition(expression, result) is expected


def test_upstream_float_string_mismatch() -> None:
    with pytest.raises(
        ExprError, match=r"invalid operation: == \(mismatched types float64 and string\)"
    ):
        evaluate_condition('asFloat(result) == "1.1"', "1.1")
    with pytest.raises(ExprError):
        evaluate_condition("result.Name() == 'hi'", True)
