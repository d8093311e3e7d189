"""pytest setup for the ipledger SDK: the package from this folder's parent, the public
vectors (tests/vectors of the repository, or $IPLEDGER_VECTORS), and a real ipledgerd.

The end-to-end fixture needs the built binaries: $IPLEDGERD and $IPLEDGER_CLI (CTest sets
them); without them those tests are skipped.
"""

import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

import pytest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
REPO = HERE.parents[3]
VECTORS = pathlib.Path(os.environ.get("IPLEDGER_VECTORS", REPO / "tests" / "vectors"))


def vector_json(relative):
    return json.loads((VECTORS / relative).read_text(encoding="utf-8"))


def vector_text(relative):
    return (VECTORS / relative).read_text(encoding="utf-8")


class Registry:
    """A real ipledgerd on 127.0.0.1 (port 0) over a fresh data directory."""

    def __init__(self, daemon, cli, origin="sdk.ipledger.test/log"):
        self.tmp = tempfile.TemporaryDirectory(prefix="ipledger-sdk-")
        self.dir = pathlib.Path(self.tmp.name)
        self.data = self.dir / "data"
        subprocess.run([cli, "init", "--data-dir", str(self.data), "--origin", origin],
                       check=True, capture_output=True, timeout=60)
        self.log = open(self.dir / "ipledgerd.log", "wb")
        self.proc = subprocess.Popen(
            [daemon, "--data-dir", str(self.data), "--listen", "127.0.0.1:0"],
            stdout=subprocess.PIPE, stderr=self.log)
        self.url = None
        for line in self.proc.stdout:
            m = re.search(rb"(http://127\.0\.0\.1:\d+)", line)
            if m:
                self.url = m.group(1).decode()
                break
        if self.url is None:
            self.stop()
            raise RuntimeError("ipledgerd did not print its address: " +
                               (self.dir / "ipledgerd.log").read_text(errors="replace"))
        self.vkey = (self.data / "log.vkey").read_text().strip()
        self.registry_key_file = self.data / "registry.key"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.log.close()
        self.tmp.cleanup()


@pytest.fixture(scope="module")
def registry():
    daemon, cli = os.environ.get("IPLEDGERD"), os.environ.get("IPLEDGER_CLI")
    if not daemon or not cli:
        pytest.skip("IPLEDGERD and IPLEDGER_CLI are not set (ctest sets them)")
    r = Registry(daemon, cli)
    yield r
    r.stop()
