"""Go text forms (encoding/json, strconv) and the k8s JSONPath dialect, case by case."""

from __future__ import annotations

import math

import pytest

from clusters.embedded.analysis.gojson import decode_json, go_float, go_json, prometheus_float
from clusters.embedded.analysis.jsonpath import JSONPath, JSONPathError


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (0.0, "0"),
        (1.0, "1"),
        (0.1, "0.1"),
        (100.0, "100"),
        (-2.5, "-2.5"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (0.000001, "0.000001"),
        (1e-7, "1e-7"),
        (1.5e-10, "1.5e-10"),
        (123456789.125, "123456789.125"),
    ],
)
def test_go_float_matches_encoding_json(number: float, text: str):
    assert go_float(number) == text


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (math.nan, "NaN"),
        (math.inf, "+Inf"),
        (-math.inf, "-Inf"),
        (1e21, "1000000000000000000000"),
        (0.95, "0.95"),
    ],
)
def test_prometheus_float_is_strconv_f_minus_one(number: float, text: str):
    assert prometheus_float(number) == text


def test_go_json_sorts_keys_and_escapes_like_go():
    value = {"z": [1.0, None, False], "a": {"k": "<&>\u2028\x01\n"}}
    assert (
        go_json(value) == '{"a":{"k":"\\u003c\\u0026\\u003e\\u2028\\u0001\\n"},"z":[1,null,false]}'
    )


def test_decode_json_gives_float64_numbers_and_rejects_nan():
    assert decode_json(b'{"n": 3, "m": [1, 2.5]}') == {"n": 3.0, "m": [1.0, 2.5]}
    assert isinstance(decode_json(b"3"), float)
    with pytest.raises(ValueError):
        decode_json(b"NaN")
    with pytest.raises(ValueError):
        decode_json(b"")


DATA = {
    "a": {"b": [{"c": 1.0}, {"c": 2.0}, {"c": 3.0}], "nil": None, "dot.key": "x"},
    "s": "text",
}


@pytest.mark.parametrize(
    ("template", "results"),
    [
        ("{$}", [[DATA]]),
        ("{.s}", [["text"]]),
        ("{$.a.b[1].c}", [[2.0]]),
        ("{.a.b[*].c}", [[1.0, 2.0, 3.0]]),
        ("{.a.b[0:2].c}", [[1.0, 2.0]]),
        ("{.a.b[::2].c}", [[1.0, 3.0]]),
        ("{.a.b[-1].c}", [[3.0]]),
        ("{.a.b[0,2].c}", [[1.0, 3.0]]),
        ("{.a.nil}", [[None]]),
        ("{.a.dot\\.key}", [["x"]]),
        ("literal", [["literal"]]),
        ("v={.s}!", [["v="], ["text"], ["!"]]),
        ("{.a.b[?(@.c >= 2)].c}", [[2.0, 3.0]]),
    ],
)
def test_jsonpath_selects_like_client_go(template: str, results: list[list[object]]):
    assert JSONPath(template).find_results(DATA) == results


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{.missing}", "missing is not found"),
        ("{.a.b[9]}", "array index out of bounds: index 9, length 3"),
        ("{.s[0]}", "string is not array or slice"),
        ("{.a.b[2:1]}", "starting index 2 is greater than ending index 1"),
        ("{.a['dot.key']}", "dot is not found"),  # client-go re-parses ['k'] as .k: dots split
    ],
)
def test_jsonpath_errors_read_like_client_go(template: str, message: str):
    with pytest.raises(JSONPathError) as raised:
        JSONPath(template).find_results(DATA)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{.a", "unclosed action"),
        ("{[0}", "unterminated array"),
        ("{#}", "unrecognized character in action: U+0023 '#'"),
    ],
)
def test_jsonpath_parse_errors(template: str, message: str):
    with pytest.raises(JSONPathError) as raised:
        JSONPath(template)
    assert str(raised.value) == message
