"""Safe YAML loading for learner files: size, binary, encoding, depth, alias and key limits.

Submissions are untrusted. Text goes through PyYAML's *safe* composer (libyaml when present);
we then build plain values ourselves so that every limit (nesting depth, alias expansion,
duplicate keys) is enforced and every key keeps the line it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import yaml

__all__ = ["Document", "LoadedFile", "YamlLimits", "YamlProblem", "load_yaml"]

_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Path = tuple[str | int, ...]

_DEPTH_OPENERS = (
    yaml.BlockMappingStartToken,
    yaml.BlockSequenceStartToken,
    yaml.FlowMappingStartToken,
    yaml.FlowSequenceStartToken,
)
_VALUE_TOKENS = (*_DEPTH_OPENERS, yaml.ScalarToken)
_DEPTH_CLOSERS = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)
_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}
_MERGE_TAG = "tag:yaml.org,2002:merge"
_NODE_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


@dataclass(frozen=True)
class YamlLimits:
    """Bounds for one file; defaults fit any real lab manifest many times over."""

    max_bytes: int = 1_000_000
    max_documents: int = 100
    max_depth: int = 40
    max_nodes: int = 20_000
    max_aliases: int = 100


@dataclass(frozen=True)
class YamlProblem:
    """A problem found while reading a file: where (1-based line, 0 = whole file) and what."""

    file: str
    line: int
    message: str

    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass
class Document:
    """One YAML document: its value and the line of every key / item path inside it."""

    file: str
    index: int
    value: Any
    lines: dict[_Path, int] = field(default_factory=dict)

    def line_of(self, path: _Path) -> int:
        """Line of `path`, or of its nearest ancestor that has one."""
        probe = tuple(path)
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            probe = probe[:-1]
        return self.lines.get((), 0)


@dataclass
class LoadedFile:
    """A file's documents and problems; `problems` non-empty means do not trust `documents`."""

    name: str
    documents: list[Document] = field(default_factory=list)
    problems: list[YamlProblem] = field(default_factory=list)
    values: int = 0  # values built (after alias expansion), for budgets across files


class _LimitExceeded(Exception):
    """Raised inside the builder when a limit trips; carries line and message."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _decode(
    name: str, data: bytes | str, limits: YamlLimits
) -> tuple[str | None, YamlProblem | None]:
    raw = data.encode("utf-8", errors="surrogatepass") if isinstance(data, str) else data
    if len(raw) > limits.max_bytes:
        return None, YamlProblem(
            name,
            0,
            f"file is {len(raw) / 1_000_000:.1f} MB; manifests larger than "
            f"{limits.max_bytes / 1_000_000:.1f} MB are not read",
        )
    if b"\x00" in raw[:8192] or raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, YamlProblem(name, 0, "file looks binary (NUL bytes or UTF-16), not YAML text")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return None, YamlProblem(
            name, line, f"not UTF-8 text (byte 0x{raw[error.start]:02x}); save the file as UTF-8"
        )
    return text, None


def _precheck(name: str, text: str, limits: YamlLimits) -> YamlProblem | None:
    """Scan tokens (no recursion) to bound nesting, aliases and documents before composing."""
    depth = aliases = documents = scalars = 0
    for token in yaml.scan(text, Loader=_SafeLoader):
        if isinstance(token, _VALUE_TOKENS):
            scalars += 1
            if scalars > limits.max_nodes:
                return YamlProblem(
                    name,
                    token.start_mark.line + 1,
                    f"holds more than {limits.max_nodes} values; not a Kubernetes manifest",
                )
        if isinstance(token, _DEPTH_OPENERS):
            depth += 1
            if depth > limits.max_depth:
                return YamlProblem(
                    name,
                    token.start_mark.line + 1,
                    f"nesting deeper than {limits.max_depth} levels; not a Kubernetes manifest",
                )
        elif isinstance(token, _DEPTH_CLOSERS):
            depth = max(0, depth - 1)
        elif isinstance(token, yaml.AliasToken):
            aliases += 1
            if aliases > limits.max_aliases:
                return YamlProblem(
                    name,
                    token.start_mark.line + 1,
                    f"more than {limits.max_aliases} YAML aliases (*name); refusing to expand",
                )
        elif isinstance(token, yaml.DocumentStartToken):
            documents += 1
            if documents > limits.max_documents:
                return YamlProblem(
                    name,
                    token.start_mark.line + 1,
                    f"more than {limits.max_documents} YAML documents in one file",
                )
    return None


class _Builder:
    """Turn a composed node graph into plain values, enforcing limits and recording lines."""

    def __init__(self, limits: YamlLimits) -> None:
        self.limits = limits
        self.nodes = 0
        self.lines: dict[_Path, int] = {}
        self._scalars = yaml.constructor.SafeConstructor()

    def build(self, node: yaml.Node, path: _Path, depth: int) -> Any:
        self.nodes += 1
        line = node.start_mark.line + 1
        if self.nodes > self.limits.max_nodes:
            raise _LimitExceeded(
                line, f"expands to more than {self.limits.max_nodes} values (an alias bomb?)"
            )
        if depth > self.limits.max_depth:
            raise _LimitExceeded(line, f"nesting deeper than {self.limits.max_depth} levels")
        self.lines.setdefault(path, line)
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _NODE_TAGS:
            raise _LimitExceeded(
                line, f"unsupported YAML tag {node.tag!r}; manifests use plain values"
            )
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        return self._scalar(node, line)

    def _scalar(self, node: yaml.Node, line: int) -> Any:
        tag = node.tag
        if tag not in _SCALAR_TAGS:
            raise _LimitExceeded(line, f"unsupported YAML tag {tag!r}; manifests use plain values")
        if tag in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"):
            return str(node.value)
        if tag == "tag:yaml.org,2002:int" and len(str(node.value)) > 40:
            raise _LimitExceeded(line, "integer with more than 40 digits")
        return self._scalars.construct_object(node, deep=False)

    def _mapping(self, node: yaml.MappingNode, path: _Path, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        seen: dict[str, int] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if key_node.tag == _MERGE_TAG:
                merged.update(self._merge_source(value_node, path, depth))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise _LimitExceeded(key_line, "a mapping key is itself a list or mapping")
            key_value = self._scalar(key_node, key_line)
            key = "null" if key_value is None else str(key_value)
            if isinstance(key_value, bool):
                key = str(key_value).lower()
            if key in seen:
                raise _LimitExceeded(
                    key_line,
                    f"duplicate key {key!r} (first at line {seen[key]}); the second would "
                    "silently replace the first",
                )
            seen[key] = key_line
            self.lines[(*path, key)] = key_line
            result[key] = self.build(value_node, (*path, key), depth + 1)
        for key, value in merged.items():
            result.setdefault(key, value)
        return result

    def _merge_source(self, node: yaml.Node, path: _Path, depth: int) -> dict[str, Any]:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        merged: dict[str, Any] = {}
        for source in sources:
            value = self.build(source, path, depth + 1)
            if not isinstance(value, dict):
                raise _LimitExceeded(source.start_mark.line + 1, "merge key (<<) needs a mapping")
            for key, item in value.items():
                merged.setdefault(key, item)
        return merged


def _yaml_error(name: str, text: str, error: yaml.YAMLError) -> YamlProblem:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    line = mark.line + 1 if mark is not None else 0
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    context = getattr(error, "context", None)
    message = f"YAML syntax: {problem}" + (f" ({context})" if context else "")
    lines = text.splitlines()
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    if "\t" in source[: len(source) - len(source.lstrip())]:
        message += "; this line is indented with a tab: YAML indentation must use spaces"
    return YamlProblem(name, line, message)


def load_yaml(name: str, data: bytes | str, limits: YamlLimits | None = None) -> LoadedFile:
    """Read one file's YAML documents; never raises for bad input, reports problems instead."""
    limits = limits or YamlLimits()
    loaded = LoadedFile(name)
    text, problem = _decode(name, data, limits)
    if problem is not None or text is None:
        loaded.problems.append(problem or YamlProblem(name, 0, "unreadable file"))
        return loaded
    try:
        problem = _precheck(name, text, limits)
        if problem is not None:
            loaded.problems.append(problem)
            return loaded
        for index, node in enumerate(yaml.compose_all(text, Loader=_SafeLoader)):
            if node is None:
                continue
            builder = _Builder(replace(limits, max_nodes=limits.max_nodes - loaded.values))
            value = builder.build(node, (), 0)
            loaded.values += builder.nodes
            loaded.documents.append(Document(name, index, value, builder.lines))
    except _LimitExceeded as error:
        loaded.problems.append(YamlProblem(name, error.line, error.message))
    except yaml.YAMLError as error:
        loaded.problems.append(_yaml_error(name, text, error))
    except RecursionError:
        loaded.problems.append(YamlProblem(name, 0, "nesting too deep to read"))
    except (ValueError, OverflowError) as error:
        loaded.problems.append(YamlProblem(name, 0, f"unreadable value: {error}"))
    return loaded
