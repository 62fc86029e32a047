"""The one way this project runs external commands (kind, kubectl, docker).

Every call is an argv list with a timeout and an explicit environment; any failure raises
`CommandError` carrying the command, exit code and output, so callers can explain it.
Tests swap in `ScriptedRunner`, which records argv and replays scripted results.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

__all__ = [
    "DEFAULT_TIMEOUT",
    "CommandError",
    "CommandResult",
    "Runner",
    "ScriptedRunner",
    "SubprocessRunner",
    "base_env",
]

DEFAULT_TIMEOUT = 120.0
_OUTPUT_TAIL = 4000
# Variables a child tool legitimately needs; everything else is dropped so runs are repeatable.
_PASSED_ENV = (
    "PATH",
    "HOME",
    "USER",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "DOCKER_HOST",
    "DOCKER_CONFIG",
    "DOCKER_CONTEXT",
    "XDG_RUNTIME_DIR",
    "KIND_EXPERIMENTAL_PROVIDER",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "SYSTEMROOT",
)


def base_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A minimal, explicit child environment: the few variables tools need, plus `extra`."""
    env = {name: os.environ[name] for name in _PASSED_ENV if name in os.environ}
    env.update(extra or {})
    return env


@dataclass(frozen=True)
class CommandResult:
    """What a finished command produced."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


class CommandError(Exception):
    """A command failed to start, timed out or exited non-zero."""

    def __init__(
        self,
        argv: Sequence[str],
        returncode: int | None,
        stdout: str = "",
        stderr: str = "",
        reason: str = "",
    ) -> None:
        self.argv = tuple(argv)
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.reason = reason or (
            f"exit status {returncode}" if returncode is not None else "did not finish"
        )
        super().__init__(self._describe())

    @property
    def command(self) -> str:
        """The command as a copy-pasteable shell line."""
        return shlex.join(self.argv)

    @property
    def output(self) -> str:
        """stderr then stdout, the way a user would read them in a terminal."""
        return "\n".join(part for part in (self.stderr.strip(), self.stdout.strip()) if part)

    def _describe(self) -> str:
        text = f"command failed ({self.reason}): {self.command}"
        output = self.output
        if output:
            text += "\n" + output[-_OUTPUT_TAIL:]
        return text


class Runner(Protocol):
    """Runs one command; raises `CommandError` unless `check` is False."""

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        env: Mapping[str, str] | None = None,
        input_text: str | None = None,
        check: bool = True,
    ) -> CommandResult: ...


class SubprocessRunner:
    """The real runner: `subprocess.run` with argv, timeout and an explicit environment."""

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        env: Mapping[str, str] | None = None,
        input_text: str | None = None,
        check: bool = True,
    ) -> CommandResult:
        command = [str(part) for part in argv]
        child_env = dict(env) if env is not None else base_env()
        try:
            completed = subprocess.run(
                command,
                input=input_text,
                capture_output=True,
                text=True,
                timeout=timeout,
                env=child_env,
                check=False,
            )
        except FileNotFoundError as error:
            raise CommandError(command, None, reason=f"{command[0]} not found: {error}") from error
        except subprocess.TimeoutExpired as error:
            raise CommandError(
                command,
                None,
                _text(error.stdout),
                _text(error.stderr),
                reason=f"timed out after {timeout:g}s",
            ) from error
        except OSError as error:
            raise CommandError(command, None, reason=f"could not start: {error}") from error
        result = CommandResult(
            tuple(command), completed.returncode, completed.stdout, completed.stderr
        )
        if check and completed.returncode != 0:
            raise CommandError(command, completed.returncode, completed.stdout, completed.stderr)
        return result


def _text(value: str | bytes | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


Responder = Callable[[tuple[str, ...]], "str | CommandResult | CommandError"]
Answer = str | CommandResult | CommandError | Responder


def _matches(command: tuple[str, ...], words: tuple[str, ...]) -> bool:
    if not command or not words or os.path.basename(command[0]) != words[0]:
        return False
    wanted, args = words[1:], command[1:]
    return any(args[i : i + len(wanted)] == wanted for i in range(len(args) - len(wanted) + 1))


@dataclass
class ScriptedRunner:
    """A test seam: records every argv and answers from rules matched on argv prefixes.

    A rule `(program, *words)` matches a call whose program basename is `program` and whose
    arguments contain `words` as a contiguous run (so global flags such as kubectl's
    `--kubeconfig` need not be spelled out). Its answer is a string (stdout, exit 0), a
    `CommandResult`, a `CommandError` (raised), or a callable producing one of those.
    Unmatched commands succeed with empty output, so tests script only what matters.
    """

    rules: list[tuple[tuple[str, ...], Answer]] = field(default_factory=list)
    calls: list[tuple[str, ...]] = field(default_factory=list)
    inputs: list[str | None] = field(default_factory=list)

    def on(self, *words: str, answer: Answer = "") -> ScriptedRunner:
        """Add a rule; later rules win over earlier ones."""
        self.rules.insert(0, (tuple(words), answer))
        return self

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        env: Mapping[str, str] | None = None,
        input_text: str | None = None,
        check: bool = True,
    ) -> CommandResult:
        command = tuple(str(part) for part in argv)
        self.calls.append(command)
        self.inputs.append(input_text)
        answer: str | CommandResult | CommandError | Responder = ""
        for words, candidate in self.rules:
            if _matches(command, words):
                answer = candidate
                break
        if callable(answer) and not isinstance(answer, CommandError):
            answer = answer(command)
        if isinstance(answer, CommandError):
            if check:
                raise answer
            return CommandResult(command, answer.returncode or 1, answer.stdout, answer.stderr)
        if isinstance(answer, CommandResult):
            return answer
        return CommandResult(command, 0, answer, "")

    def commands(self, program: str) -> list[tuple[str, ...]]:
        """Calls whose program basename is `program`, in order."""
        return [call for call in self.calls if os.path.basename(call[0]) == program]
