"""Make nanotron 0.4 run without CUDA or without flash-attn: call `apply()` before importing nanotron.

What a host needs, decided from what it has:

* CUDA and flash-attn: nothing. The real GPU path is left exactly as nanotron ships it.
* CUDA, no flash-attn: the `flash_attn` modules nanotron imports are provided in plain torch
  (`training.flash_attn_torch`: SDPA attention, interleaved rotary, fused-norm), working on CUDA tensors.
* No CUDA (this machine): those stand-ins, plus
  - a TorchFunctionMode that sends every `device="cuda"` / `.cuda()` / `.to("cuda")` to the CPU
    (nanotron hard-codes CUDA at ~80 sites), CPU-safe `torch.cuda.*` stand-ins and a CPU `torch.Generator`
    for `device="cuda"`;
  - `torch.distributed.all_reduce` under `no_grad` (gloo's AVG is an in-place op on leaf parameters,
    which torch 2.13 refuses while grad mode is on);
  - nanotron's rotary buffer assert (`freqs_cis.device.type == "cuda"`) accepting the CPU.

On every host, GPU included, a circular import in the nanotron 0.4 wheel is fixed (`nanotron.logging`
imports `LoggingArgs` only for an annotation, and that import loops back into itself; it changes no
behaviour): `apply()` does it as its first step unless the host needs nothing else, and
`ensure_importable()` does only that, for processes that read configs without training (the config
builder). `init_distributed()` starts the process group from the torchrun environment (gloo on CPU; on
GPU nanotron starts NCCL itself).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import socket
import sys
import types
from dataclasses import dataclass
from typing import Optional

import torch

# Source edits made while a nanotron module is loaded: module -> [(exact text in 0.4, replacement)].
# A text that is absent (a fixed release) is simply not edited.
_IMPORT_FIX = {
    "nanotron.logging": [
        ("from nanotron.config.config import LoggingArgs\n", "LoggingArgs = 'nanotron.config.config.LoggingArgs'\n"),
    ],
}
_CPU_SOURCE_FIX = {
    "nanotron.models.llama": [
        ('assert self.freqs_cis.device.type == "cuda"', 'assert self.freqs_cis.device.type in ("cuda", "cpu")'),
    ],
}

_FLASH_MODULES = (
    "flash_attn",
    "flash_attn.bert_padding",
    "flash_attn.flash_attn_interface",
    "flash_attn.layers",
    "flash_attn.layers.rotary",
    "flash_attn.ops",
    "flash_attn.ops.triton",
    "flash_attn.ops.triton.layer_norm",
)

_applied: set[str] = set()


@dataclass(frozen=True)
class Host:
    cuda: bool
    flash_attn: bool

    @property
    def mode(self) -> str:
        if self.cuda and self.flash_attn:
            return "gpu"
        return "gpu-torch-attention" if self.cuda else "cpu"


def detect_host(cuda: Optional[bool] = None, flash_attn: Optional[bool] = None) -> Host:
    """What this process has; either answer can be forced (tests, or a user who wants the torch path)."""
    if cuda is None:
        cuda = torch.cuda.is_available()
    if flash_attn is None:
        flash_attn = "flash_attn" not in _applied and importlib.util.find_spec("flash_attn") is not None
    return Host(cuda=bool(cuda), flash_attn=bool(flash_attn))


def apply(cuda: Optional[bool] = None, flash_attn: Optional[bool] = None) -> frozenset[str]:
    """Install what this host needs (idempotent); returns the names of the adjustments in place."""
    host = detect_host(cuda, flash_attn)
    if host.mode == "gpu":
        return frozenset(_applied)
    _refuse_if_nanotron_loaded(host)
    _install("import_cycle", lambda: _SourceFixFinder.install(_IMPORT_FIX))
    _install("flash_attn", _install_flash_attn_modules)
    if host.mode == "cpu":
        _install("cuda_to_cpu", _install_cuda_to_cpu)
        _install("gloo_all_reduce_no_grad", _install_all_reduce_no_grad)
        _install("rotary_device_assert", lambda: _SourceFixFinder.install(_CPU_SOURCE_FIX))
    importlib.import_module("nanotron.config")  # the one import order the 0.4 wheel resolves
    return frozenset(_applied)


def ensure_importable() -> None:
    """Fix nanotron 0.4's circular imports (`import nanotron.config` fails from every entry point, and
    `nanotron.models` only resolves once `nanotron.config` is loaded), then load `nanotron.config`."""
    _install("import_cycle", lambda: _SourceFixFinder.install(_IMPORT_FIX))
    importlib.import_module("nanotron.config")


def init_distributed() -> int:
    """Fill the torchrun variables for a single process and, without CUDA, start gloo. Returns the rank.

    nanotron reads RANK, WORLD_SIZE and LOCAL_RANK (checkpoint saving) directly from the environment;
    its own process-group init only knows NCCL and is skipped once a group exists."""
    os.environ.setdefault("RANK", "0")
    os.environ.setdefault("WORLD_SIZE", "1")
    os.environ.setdefault("LOCAL_RANK", "0")
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    if "MASTER_PORT" not in os.environ:
        os.environ["MASTER_PORT"] = str(_free_port())
    if not torch.cuda.is_available() and not torch.distributed.is_initialized():
        torch.distributed.init_process_group(backend="gloo", init_method="env://")
    return int(os.environ["RANK"])


def _install(name: str, installer) -> None:
    if name not in _applied:
        installer()
        _applied.add(name)


def _refuse_if_nanotron_loaded(host: Host) -> None:
    # Module -> the adjustment that must precede its import.
    needs = {"nanotron.models.llama": "flash_attn", "nanotron.nn.layer_norm": "flash_attn"}
    if host.mode == "cpu":
        needs.update({"nanotron.distributed": "gloo_all_reduce_no_grad", "nanotron.models.llama": "rotary_device_assert"})
    late = sorted(m for m, adjustment in needs.items() if m in sys.modules and adjustment not in _applied)
    if late:
        raise RuntimeError(
            f"training.nanotron_cpu.apply() must run before nanotron is imported; already imported: {late}"
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _SourceFixFinder(importlib.abc.MetaPathFinder):
    """Loads the named nanotron modules from their own source with small, exact text edits."""

    fixes: dict[str, list[tuple[str, str]]] = {}

    @classmethod
    def install(cls, fixes: dict[str, list[tuple[str, str]]]) -> None:
        cls.fixes.update(fixes)
        if not any(isinstance(f, cls) for f in sys.meta_path):
            sys.meta_path.insert(0, cls())

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.fixes:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            return spec
        spec.loader = _FixedSourceLoader(fullname, spec.origin, self.fixes[fullname])
        return spec


class _FixedSourceLoader(importlib.machinery.SourceFileLoader):
    def __init__(self, fullname, path, edits):
        super().__init__(fullname, path)
        self.edits = edits

    def get_code(self, fullname):
        # Compile from source every time: the cached bytecode is of the unedited file.
        source = self.get_data(self.path).decode("utf-8")
        for old, new in self.edits:
            source = source.replace(old, new)
        return compile(source, self.path, "exec", dont_inherit=True)


def _install_flash_attn_modules() -> None:
    from training import flash_attn_torch as impl

    modules = {name: types.ModuleType(name) for name in _FLASH_MODULES}
    for module in modules.values():
        module.__file__ = impl.__file__
        module.__path__ = []  # a package, so submodule imports resolve through sys.modules
        module.__codelake_stand_in__ = True
    modules["flash_attn"].__version__ = "2.5.0+torch"
    modules["flash_attn.bert_padding"].unpad_input = impl.unpad_input
    modules["flash_attn.bert_padding"].pad_input = impl.pad_input
    modules["flash_attn.flash_attn_interface"].flash_attn_varlen_func = impl.flash_attn_varlen_func
    modules["flash_attn.flash_attn_interface"].flash_attn_with_kvcache = impl.flash_attn_with_kvcache
    modules["flash_attn"].flash_attn_varlen_func = impl.flash_attn_varlen_func
    modules["flash_attn"].flash_attn_with_kvcache = impl.flash_attn_with_kvcache
    modules["flash_attn.layers.rotary"].RotaryEmbedding = impl.RotaryEmbedding
    modules["flash_attn.ops.triton.layer_norm"].layer_norm_fn = impl.layer_norm_fn
    for name, module in modules.items():
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(modules[parent], child, module)
    sys.modules.update(modules)


def _to_cpu(value):
    if isinstance(value, torch.device):
        return torch.device("cpu") if value.type == "cuda" else value
    if isinstance(value, str) and (value == "cuda" or value.startswith("cuda:")):
        return "cpu"
    if isinstance(value, (list, tuple)) and any(isinstance(v, (str, torch.device)) for v in value):
        return type(value)(_to_cpu(v) for v in value)
    return value


class _CudaToCpu(torch.overrides.TorchFunctionMode):
    """Every torch call asking for a CUDA device gets the CPU instead."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is torch.Tensor.cuda:
            return args[0]
        args = tuple(_to_cpu(a) for a in args)
        kwargs = {k: _to_cpu(v) for k, v in kwargs.items()}
        return func(*args, **kwargs)


# torch.cuda stand-ins: one distinct function object per name (torch._dynamo rejects one object
# registered under two names).
def _set_device(device) -> None: return None
def _synchronize(device=None) -> None: return None
def _empty_cache() -> None: return None
def _reset_peak_memory_stats(device=None) -> None: return None
def _memory_allocated(device=None) -> int: return 0
def _max_memory_allocated(device=None) -> int: return 0
def _memory_reserved(device=None) -> int: return 0
def _max_memory_reserved(device=None) -> int: return 0


_CUDA_STAND_INS = {
    "set_device": _set_device,
    "synchronize": _synchronize,
    "empty_cache": _empty_cache,
    "reset_peak_memory_stats": _reset_peak_memory_stats,
    "memory_allocated": _memory_allocated,
    "max_memory_allocated": _max_memory_allocated,
    "memory_reserved": _memory_reserved,
    "max_memory_reserved": _max_memory_reserved,
}

_TorchGenerator = torch.Generator


class _GeneratorType(type(_TorchGenerator)):
    # Generators made by torch itself (torch.default_generator) stay instances of `torch.Generator`.
    def __instancecheck__(cls, obj):
        return isinstance(obj, _TorchGenerator)

    def __subclasscheck__(cls, sub):
        return issubclass(sub, _TorchGenerator)


class _CpuGenerator(_TorchGenerator, metaclass=_GeneratorType):
    """`torch.Generator(device="cuda")` on a host without CUDA: a CPU generator."""

    def __new__(cls, device="cpu"):
        return _TorchGenerator.__new__(cls, device=_to_cpu(device))

    def __init__(self, device="cpu"):
        pass  # the C type initializes in __new__


def _install_cuda_to_cpu() -> None:
    for name, stand_in in _CUDA_STAND_INS.items():
        setattr(torch.cuda, name, stand_in)
    torch.Generator = _CpuGenerator
    # Entered for the life of the process (a training or generation subprocess), never exited.
    _CudaToCpu().__enter__()


def _install_all_reduce_no_grad() -> None:
    import torch.distributed as dist

    original = dist.all_reduce

    def all_reduce(tensor, op=dist.ReduceOp.SUM, group=None, async_op=False):
        with torch.no_grad():
            return original(tensor, op=op, group=group, async_op=async_op)

    all_reduce.__wrapped__ = original
    # Set before nanotron.distributed runs `from torch.distributed import *`.
    dist.all_reduce = all_reduce
