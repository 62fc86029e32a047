"""The one subprocess runner: argv lists, timeouts, explicit env, one error type."""

import sys

import pytest

from clusters.runner import CommandError, ScriptedRunner, SubprocessRunner, base_env


def test_success_returns_output():
    result = SubprocessRunner().run([sys.executable, "-c", "print('hi')"], timeout=30)
    assert (result.returncode, result.stdout.strip()) == (0, "hi")


def test_failure_carries_command_exit_code_and_output():
    code = "import sys; print('out'); print('bad thing', file=sys.stderr); sys.exit(3)"
    with pytest.raises(CommandError) as raised:
        SubprocessRunner().run([sys.executable, "-c", code], timeout=30)
    error = raised.value
    assert error.returncode == 3
    assert error.argv[-1] == code
    assert "bad thing" in error.output and "out" in error.output
    assert "exit status 3" in str(error) and "bad thing" in str(error)


def test_check_false_returns_nonzero_result():
    result = SubprocessRunner().run([sys.executable, "-c", "raise SystemExit(2)"], check=False)
    assert result.returncode == 2


def test_timeout_and_missing_program_raise_the_same_error_type():
    with pytest.raises(CommandError, match=r"timed out after 0\.5s"):
        SubprocessRunner().run([sys.executable, "-c", "import time; time.sleep(5)"], timeout=0.5)
    with pytest.raises(CommandError, match="not found") as raised:
        SubprocessRunner().run(["/nonexistent/tool", "--version"])
    assert raised.value.returncode is None


def test_environment_is_explicit(monkeypatch):
    monkeypatch.setenv("ROLLOUT_LAB_SECRET_TEST", "leak")
    code = "import os; print(os.environ.get('ROLLOUT_LAB_SECRET_TEST', 'absent'))"
    result = SubprocessRunner().run([sys.executable, "-c", code])
    assert result.stdout.strip() == "absent"
    assert base_env({"KUBECONFIG": "/x"})["KUBECONFIG"] == "/x"
    passed = SubprocessRunner().run(
        [sys.executable, "-c", code], env={"ROLLOUT_LAB_SECRET_TEST": "given"}
    )
    assert passed.stdout.strip() == "given"


def test_stdin_is_passed():
    result = SubprocessRunner().run(
        [sys.executable, "-c", "import sys; print(sys.stdin.read().upper())"], input_text="abc"
    )
    assert result.stdout.strip() == "ABC"


def test_scripted_runner_records_and_answers_by_prefix():
    runner = ScriptedRunner().on("kind", "get", "clusters", answer="rollout-lab\n")
    runner.on("docker", "info", answer=CommandError(["docker", "info"], 1, "", "Cannot connect"))
    assert runner.run(["/opt/bin/kind", "get", "clusters"]).stdout == "rollout-lab\n"
    with pytest.raises(CommandError):
        runner.run(["docker", "info"])
    assert runner.run(["docker", "info"], check=False).returncode == 1
    assert runner.run(["kubectl", "anything"]).stdout == ""
    assert runner.commands("kind") == [("/opt/bin/kind", "get", "clusters")]
