"""`codelake run raw_files` on a .tar.gz starts a `gzip -dc` process: SIGKILL of the run mid-way ends it too."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import psutil

from dumpfactory import MANIFEST, manifest

ROOT = Path(__file__).resolve().parents[2]


def _big_tar_gz(path: Path, files: int = 4000) -> Path:
    """~40 MB of Python files: the run reads long enough to be killed while gzip still streams."""
    body = "".join(f"def f{j}(x):\n    return x * {j} + {j % 7}\n\n" for j in range(300))
    with tarfile.open(path, "w:gz", compresslevel=1) as archive:
        entries = [("repo/" + MANIFEST, manifest("o/big"))] + [(f"repo/m{i}.py", f"# {i}\n{body}".encode()) for i in range(files)]
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_sigkill_mid_run_leaves_no_gzip_behind(tmp_path):
    dump = _big_tar_gz(tmp_path / "dump-big.tar.gz")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    script = f"import sys\nfrom codelake.cli.main import main\nsys.exit(main(['run', 'raw_files', '--input', {str(dump)!r}, '--output', {str(tmp_path / 'lake')!r}]))"
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        parent = psutil.Process(proc.pid)
        gzips: list[psutil.Process] = []
        deadline = time.monotonic() + 60
        while not gzips and time.monotonic() < deadline and proc.poll() is None:
            gzips = [p for p in parent.children(recursive=True) if p.name() == "gzip"]
            time.sleep(0.02)
        assert gzips, f"no gzip process seen; run ended with {proc.poll()}: {proc.stderr.read().decode()[-2000:] if proc.poll() is not None else ''}"
        time.sleep(0.2)  # into the run, where gzip waits on a full pipe for the slower reader
        tree = parent.children(recursive=True)
        assert any(p.name() == "gzip" and p.is_running() for p in tree), "gzip ended before the kill: the archive is too small to test this"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        _, alive = psutil.wait_procs(tree, timeout=5)
        survivors = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        for p in survivors:
            p.kill()
        assert not survivors, f"still running 5 s after SIGKILL: {[(p.pid, p.name()) for p in survivors]}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
