import subprocess
import sys

from labs.cli import build_parser, main


def test_version_flag(capsys):
    try:
        main(["--version"])
    except SystemExit as exit_:
        assert exit_.code == 0
    assert capsys.readouterr().out.startswith("rollout-lab ")


def test_help_lists_lab_command():
    text = build_parser().format_help()
    assert "lab" in text


def test_console_script_runs():
    result = subprocess.run(
        [sys.executable, "-m", "labs.cli", "--help"], capture_output=True, text=True, check=True
    )
    assert "rollout-lab" in result.stdout
