"""The flash-attn stand-ins against references, and what apply() installs on each kind of host.

apply() changes process-wide state (a torch function mode, torch.cuda, sys.modules), so every call that
installs something runs in a subprocess; only the GPU no-op runs here.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from training import flash_attn_torch as fa

ROOT = Path(__file__).resolve().parents[2]


def naive_causal_attention(q, k, v, lengths, causal=True):
    """Per sequence: softmax(q k^T / sqrt(d)) v with query head h reading kv head h // group."""
    outs, start = [], 0
    group = q.shape[1] // k.shape[1]
    for length in lengths:
        qs, ks, vs = (t[start : start + length].double() for t in (q, k, v))
        out = torch.empty_like(qs)
        for h in range(q.shape[1]):
            scores = qs[:, h] @ ks[:, h // group].T / qs.shape[-1] ** 0.5
            if causal:
                scores = scores.masked_fill(torch.ones_like(scores, dtype=torch.bool).triu(1), float("-inf"))
            out[:, h] = scores.softmax(-1) @ vs[:, h // group]
        outs.append(out)
        start += length
    return torch.cat(outs).float()


@pytest.mark.parametrize("lengths", [[5, 9, 1, 7], [6, 6, 6]])
def test_varlen_attention_matches_naive_causal_attention_with_gqa(lengths):
    torch.manual_seed(0)
    total, n_q, n_kv, d = sum(lengths), 8, 2, 16
    q, k, v = torch.randn(total, n_q, d), torch.randn(total, n_kv, d), torch.randn(total, n_kv, d)
    cu = torch.tensor([0, *torch.tensor(lengths).cumsum(0).tolist()], dtype=torch.int32)
    out = fa.flash_attn_varlen_func(q, k, v, cu, cu, max(lengths), max(lengths), causal=True)
    assert out.shape == (total, n_q, d)
    torch.testing.assert_close(out, naive_causal_attention(q, k, v, lengths), atol=1e-5, rtol=1e-5)
    # No cross-talk: changing one sequence leaves the others' outputs untouched.
    k2 = k.clone()
    k2[: lengths[0]] += 1.0
    out2 = fa.flash_attn_varlen_func(q, k2, v, cu, cu, max(lengths), max(lengths), causal=True)
    torch.testing.assert_close(out2[lengths[0] :], out[lengths[0] :])
    assert not torch.allclose(out2[: lengths[0]], out[: lengths[0]])


def test_varlen_attention_non_causal_and_gradients_flow():
    torch.manual_seed(1)
    q = torch.randn(7, 4, 8, requires_grad=True)
    k, v = torch.randn(7, 4, 8), torch.randn(7, 4, 8)
    cu = torch.tensor([0, 3, 7], dtype=torch.int32)
    out = fa.flash_attn_varlen_func(q, k, v, cu, cu, 4, 4, causal=False)
    torch.testing.assert_close(out, naive_causal_attention(q.detach(), k, v, [3, 4], causal=False), atol=1e-5, rtol=1e-5)
    out.sum().backward()
    assert q.grad is not None and torch.isfinite(q.grad).all()


def test_kvcache_decode_matches_attention_over_the_whole_prefix():
    torch.manual_seed(2)
    batch, prefix, n_q, n_kv, d, cache_len = 2, 5, 4, 2, 8, 16
    full_k, full_v = torch.randn(batch, prefix + 1, n_kv, d), torch.randn(batch, prefix + 1, n_kv, d)
    q = torch.randn(batch, 1, n_q, d)
    k_cache, v_cache = torch.zeros(batch, cache_len, n_kv, d), torch.zeros(batch, cache_len, n_kv, d)
    k_cache[:, :prefix], v_cache[:, :prefix] = full_k[:, :prefix], full_v[:, :prefix]
    seqlens = torch.full((batch,), prefix, dtype=torch.int32)
    out = fa.flash_attn_with_kvcache(
        q, k_cache, v_cache, full_k[:, prefix:], full_v[:, prefix:], cache_seqlens=seqlens, causal=True
    )
    torch.testing.assert_close(k_cache[:, : prefix + 1], full_k)  # the new key was written in place
    for b in range(batch):
        # The last query sees every key: causal attention's last row over the full sequence.
        qs = torch.zeros(prefix + 1, n_q, d)
        qs[-1] = q[b, 0]
        ref = naive_causal_attention(qs, full_k[b], full_v[b], [prefix + 1])[-1]
        torch.testing.assert_close(out[b, 0], ref, atol=1e-5, rtol=1e-5)


def test_unpad_pad_round_trip():
    x = torch.arange(2 * 4 * 3, dtype=torch.float).view(2, 4, 3)
    mask = torch.tensor([[False, True, True, True], [False, False, True, True]])
    tokens, indices, cu, max_len = fa.unpad_input(x, mask)
    assert tokens.shape == (5, 3) and cu.tolist() == [0, 3, 5] and max_len == 3
    restored = fa.pad_input(tokens, indices, 2, 4)
    torch.testing.assert_close(restored, x * mask[..., None])


@pytest.mark.parametrize("is_rms_norm", [True, False])
@pytest.mark.parametrize("with_residual", [True, False])
def test_layer_norm_fn_matches_torch(is_rms_norm, with_residual):
    torch.manual_seed(3)
    x, weight, bias = torch.randn(3, 5, 32), torch.randn(32), torch.randn(32)
    residual = torch.randn(3, 5, 32) if with_residual else None
    summed = x + residual if with_residual else x
    if is_rms_norm:
        ref = torch.nn.functional.rms_norm(summed, (32,), weight, eps=1e-5)
        out = fa.layer_norm_fn(x, weight, None, residual=residual, eps=1e-5, is_rms_norm=True, prenorm=True)
    else:
        ref = torch.nn.functional.layer_norm(summed, (32,), weight, bias, eps=1e-5)
        out = fa.layer_norm_fn(x, weight, bias, residual=residual, eps=1e-5, is_rms_norm=False, prenorm=True)
    normed, pre_norm = out
    torch.testing.assert_close(normed, ref, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(pre_norm, summed)
    plain = fa.layer_norm_fn(x, weight, None if is_rms_norm else bias, residual=residual, eps=1e-5, is_rms_norm=is_rms_norm)
    torch.testing.assert_close(plain, normed)


def test_rotary_non_interleaved_rotates_halves():
    torch.manual_seed(4)
    rotary = fa.RotaryEmbedding(dim=8, interleaved=False)
    q, kv = torch.randn(1, 3, 2, 8), torch.randn(1, 3, 2, 2, 8)
    q_rot, kv_rot = rotary(q, kv=kv)
    inv_freq = 1.0 / 10000 ** (torch.arange(0, 8, 2).float() / 8)
    angles = torch.arange(3).float()[:, None] * inv_freq  # [L, 4]
    cos, sin = angles.cos()[None, :, None], angles.sin()[None, :, None]
    x1, x2 = q[..., :4], q[..., 4:]
    torch.testing.assert_close(q_rot, torch.cat((x1 * cos - x2 * sin, x1 * sin + x2 * cos), -1))
    torch.testing.assert_close(kv_rot[:, :, 1], kv[:, :, 1])  # values are not rotated
    torch.testing.assert_close(q_rot.norm(dim=-1), q.norm(dim=-1))


def run_python(code: str, timeout: int = 120) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_rotary_matches_nanotrons_own_non_flash_rotary():
    # nanotron trains with flash's interleaved rotary and decodes with its own complex-number rotary:
    # the stand-in must agree with the latter (same layout), which needs nanotron importable (apply()).
    out = run_python(
        """
        from training import nanotron_cpu
        nanotron_cpu.apply()
        import torch
        from nanotron.models.llama import RotaryEmbedding
        from training.flash_attn_torch import RotaryEmbedding as StandIn
        torch.manual_seed(0)
        q, kv = torch.randn(2, 11, 4, 16), torch.randn(2, 11, 2, 2, 16)
        ref = RotaryEmbedding(dim=16, end=32)
        ref.init_rotary_embeddings()
        q_rot, kv_rot = StandIn(dim=16, interleaved=True)(q, kv=kv)
        err_q = (q_rot - ref(q, position_ids=None)).abs().max().item()
        err_k = (kv_rot[:, :, 0] - ref(kv[:, :, 0].contiguous(), position_ids=None)).abs().max().item()
        qkv = torch.stack((q, q, q), dim=2)
        err_qkv = (StandIn(dim=16, interleaved=True)(qkv)[:, :, 1] - ref(q, position_ids=None)).abs().max().item()
        print(max(err_q, err_k, err_qkv))
        """
    )
    assert float(out.strip().splitlines()[-1]) < 1e-5


def test_apply_on_cpu_installs_every_adjustment_and_is_idempotent():
    out = run_python(
        """
        import sys
        from training import nanotron_cpu
        first = nanotron_cpu.apply()
        second = nanotron_cpu.apply()
        import torch, torch.distributed as dist
        import nanotron.trainer  # the circular import and flash_attn imports resolve
        import nanotron.distributed as ndist
        assert first == second, (first, second)
        assert sum(isinstance(f, nanotron_cpu._SourceFixFinder) for f in sys.meta_path) == 1
        assert torch.zeros(2, device="cuda").device.type == "cpu"
        assert torch.ones(2).cuda().device.type == "cpu"
        assert torch.ones(2).to("cuda:0").device.type == "cpu"
        g = torch.Generator(device="cuda")
        assert isinstance(g, torch.Generator) and isinstance(torch.default_generator, torch.Generator)
        torch.cuda.synchronize(); torch.cuda.set_device(0); torch.cuda.empty_cache()
        assert torch.cuda.memory_allocated() == 0 and torch.cuda.max_memory_reserved() == 0
        assert ndist.all_reduce is dist.all_reduce and hasattr(dist.all_reduce, "__wrapped__")
        nanotron_cpu.init_distributed()
        p = torch.nn.Parameter(torch.ones(3))
        dist.all_reduce(p, op=dist.ReduceOp.AVG)  # in place on a leaf that requires grad
        from nanotron.models.llama import RotaryEmbedding
        r = RotaryEmbedding(dim=8, end=16); r.init_rotary_embeddings()
        print(sorted(first))
        """
    )
    assert "cuda_to_cpu" in out and "flash_attn" in out and "rotary_device_assert" in out


def test_apply_with_cuda_but_no_flash_attn_installs_only_the_torch_attention():
    out = run_python(
        """
        import sys, torch
        before = torch.cuda.synchronize, torch.Generator, torch.distributed.all_reduce
        from training import nanotron_cpu
        applied = nanotron_cpu.apply(cuda=True, flash_attn=False)
        assert (torch.cuda.synchronize, torch.Generator, torch.distributed.all_reduce) == before
        from flash_attn.flash_attn_interface import flash_attn_varlen_func
        from flash_attn.layers.rotary import RotaryEmbedding
        from flash_attn.ops.triton.layer_norm import layer_norm_fn
        assert flash_attn_varlen_func.__module__ == "training.flash_attn_torch"
        print(sorted(applied))
        """
    )
    assert out.strip() == "['flash_attn', 'import_cycle']"


def test_apply_is_a_no_op_with_cuda_and_flash_attn():
    # in a fresh interpreter: this session's other tests have already adapted nanotron in this one
    out = run_python(
        """
        import sys, torch
        from training import nanotron_cpu
        state = lambda: (
            set(sys.modules), list(sys.meta_path), torch.cuda.synchronize, torch.Generator, torch.distributed.all_reduce,
            torch._C._len_torch_function_stack(),
        )
        before = state()
        assert nanotron_cpu.apply(cuda=True, flash_attn=True) == frozenset()
        assert state() == before
        assert nanotron_cpu.detect_host(cuda=True, flash_attn=True).mode == "gpu"
        print("untouched")
        """
    )
    assert out.strip() == "untouched"


def test_apply_after_nanotron_was_imported_is_a_clear_error():
    out = run_python(
        """
        from training import nanotron_cpu
        nanotron_cpu.ensure_importable()  # loads nanotron.config and, through it, nanotron.distributed
        try:
            nanotron_cpu.apply(cuda=False)
        except RuntimeError as error:
            print(error)
        """
    )
    assert "must run before nanotron is imported" in out and "nanotron.distributed" in out
