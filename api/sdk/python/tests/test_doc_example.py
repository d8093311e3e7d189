"""The example of docs/sdk-python.md, extracted from the doc and run as written against a
real ipledgerd: a new integrator's first 30 lines must work."""

import os
import re
import subprocess
import sys

from conftest import HERE, REPO


def test_the_docs_example_registers_signs_submits_and_verifies(registry, tmp_path):
    doc = (REPO / "docs" / "sdk-python.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", doc, re.S)
    assert len(blocks) == 1
    assert len(blocks[0].splitlines()) < 30
    script = tmp_path / "example.py"
    script.write_text(blocks[0])
    env = dict(os.environ, PYTHONPATH=str(HERE.parent), PYTHONDONTWRITEBYTECODE="1")
    run = subprocess.run([sys.executable, str(script), registry.url, str(registry.data)],
                         env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert re.fullmatch(r"entry \d+ participant\.register verified", lines[0]), run.stdout
    assert re.fullmatch(r"not pledged as of entry \d+", lines[1]), run.stdout
