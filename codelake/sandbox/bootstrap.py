"""The few lines the sandboxed interpreter runs first (`python -I -B -c BOOTSTRAP limits... main.py`):
they set the rlimits inside the sandbox — soft and hard, so the program cannot raise them back — then
run the program as `__main__`. Setting them here rather than before bwrap has two reasons: the process
count is then kept per sandbox (the kernel counts RLIMIT_NPROC per user namespace), and bwrap itself
is not held to the program's limits. A MemoryError or a file-size error the program does not catch
exits with a code of its own, so the supervisor can tell a limit from a failing test."""

from __future__ import annotations

from codelake.sandbox.settings import SandboxLimits

# isolated mode (no user site, no PYTHON* variables, no script dir on sys.path), no .pyc writing
INTERPRETER_FLAGS = ("-I", "-B")
EXIT_MEMORY = 201  # outside 129..192, where bwrap reports "killed by signal N" as 128 + N
EXIT_FILE_SIZE = 202

BOOTSTRAP = f"""\
import os, resource as r, sys
cpu, mem, nproc, nofile, fsize = map(int, sys.argv[1:6])
for lim, soft, hard in ((r.RLIMIT_CPU, cpu, cpu + 1), (r.RLIMIT_AS, mem, mem), (r.RLIMIT_NPROC, nproc, nproc),
                        (r.RLIMIT_NOFILE, nofile, nofile), (r.RLIMIT_FSIZE, fsize, fsize), (r.RLIMIT_CORE, 0, 0)):
    r.setrlimit(lim, (soft, hard))
main = sys.argv[6]
sys.argv = sys.argv[6:]
sys.path.insert(0, os.path.dirname(os.path.abspath(main)))
def _hook(kind, value, tb, _default=sys.excepthook):
    _default(kind, value, tb)
    code = {EXIT_MEMORY} if issubclass(kind, MemoryError) else {EXIT_FILE_SIZE} if getattr(value, "errno", None) == 27 else 0
    if code:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code)
sys.excepthook = _hook
with open(main, "rb") as f:
    source = f.read()
module = type(sys)("__main__")  # a real __main__ module: pickling the program's functions works
module.__file__ = main
sys.modules["__main__"] = module
exec(compile(source, main, "exec"), module.__dict__)
"""


def bootstrap_argv(interpreter: str, limits: SandboxLimits, main: str) -> list[str]:
    return [
        interpreter, *INTERPRETER_FLAGS, "-c", BOOTSTRAP,
        str(limits.cpu_seconds), str(limits.memory_bytes), str(limits.processes),
        str(limits.open_files), str(limits.file_size_bytes), main,
    ]
