"""Every Python block in the README runs.

A block preceded by a line `<!-- run: NAME=value ... -->` needs that
environment from the start of a process (e.g. `XLA_FLAGS` for simulated
devices): it runs in its own process, in the pass of the suite whose
backend it names.
"""

import os
import re
import subprocess
import sys

import keras
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def python_blocks():
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    blocks = []
    for match in re.finditer(
        r"(?:<!-- run: ([^\n]*?) -->\n)?```python\n(.*?)```", text, flags=re.S
    ):
        env = dict(
            item.split("=", 1) for item in (match.group(1) or "").split()
        )
        blocks.append((env, match.group(2)))
    return blocks


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_readme_block_runs(index, tmp_path, monkeypatch):
    env, code = python_blocks()[index]
    monkeypatch.chdir(tmp_path)
    if not env:
        exec(compile(code, f"README.md block {index}", "exec"), {})
        return
    if (
        env.get("KERAS_BACKEND", keras.backend.backend())
        != keras.backend.backend()
    ):
        pytest.skip(
            f"README block {index} runs in the {env['KERAS_BACKEND']} pass"
        )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": ROOT, **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, (
        f"README block {index} failed:\n{result.stderr[-3000:]}"
    )


def test_readme_shows_both_setup_commands():
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    assert "make demo" in text and "make test" in text
