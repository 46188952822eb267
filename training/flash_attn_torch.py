"""Plain-torch versions of the flash-attn functions nanotron 0.4 imports.

Device-agnostic (CPU, or CUDA without a flash-attn wheel). Semantics follow flash-attn 2.x as nanotron
calls it: varlen attention over packed sequences (causal mask aligned bottom-right, grouped-query heads
repeated), the KV-cache decode call, bert_padding's unpad/pad, the interleaved rotary embedding and the
fused (RMS)LayerNorm with residual. `training.nanotron_cpu` installs them as the `flash_attn` modules.
"""

from __future__ import annotations

from typing import Optional, Tuple, Union

import torch
import torch.nn.functional as F


def _allowed_keys(q_len: int, k_len: int, causal: bool, window_size: Tuple[int, int], device) -> Optional[torch.Tensor]:
    """Boolean mask [q_len, k_len] (True = attend), or None when every key is allowed.

    flash-attn aligns the causal diagonal bottom-right: query i sees keys j <= i + (k_len - q_len)."""
    left, right = window_size
    if not causal and left < 0 and right < 0:
        return None
    i = torch.arange(q_len, device=device)[:, None] + (k_len - q_len)
    j = torch.arange(k_len, device=device)[None, :]
    allowed = torch.ones(q_len, k_len, dtype=torch.bool, device=device)
    if causal:
        right = 0 if right < 0 else min(right, 0)
    if right >= 0:
        allowed &= j <= i + right
    if left >= 0:
        allowed &= j >= i - left
    return allowed


def _attend(q, k, v, softmax_scale, causal, window_size, dropout_p):
    """q [Lq, Hq, D], k/v [Lk, Hk, D] -> [Lq, Hq, Dv]; one sequence, grouped-query heads repeated."""
    q_len, n_q_heads, _ = q.shape
    k_len, n_kv_heads, _ = k.shape
    if n_q_heads != n_kv_heads:
        k = k.repeat_interleave(n_q_heads // n_kv_heads, dim=1)
        v = v.repeat_interleave(n_q_heads // n_kv_heads, dim=1)
    q, k, v = (t.transpose(0, 1) for t in (q, k, v))  # [H, L, D]
    allowed = _allowed_keys(q_len, k_len, causal, window_size, q.device)
    if allowed is not None and q_len == k_len and causal and window_size == (-1, -1):
        out = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p, is_causal=True, scale=softmax_scale)
    else:
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, dropout_p=dropout_p, scale=softmax_scale)
        if allowed is not None:
            # A query with no visible key outputs zeros in flash-attn (SDPA would give NaN).
            out = out.masked_fill(~allowed.any(-1)[None, :, None], 0.0)
    return out.transpose(0, 1)


def flash_attn_varlen_func(
    q,
    k,
    v,
    cu_seqlens_q,
    cu_seqlens_k,
    max_seqlen_q,
    max_seqlen_k,
    dropout_p=0.0,
    softmax_scale=None,
    causal=False,
    window_size=(-1, -1),
    alibi_slopes=None,
    deterministic=False,
    return_attn_probs=False,
    block_table=None,
):
    """q [total_q, Hq, D], k/v [total_k, Hk, D], cu_seqlens int32 [batch + 1] -> [total_q, Hq, Dv]."""
    if return_attn_probs or alibi_slopes is not None or block_table is not None:
        raise NotImplementedError("flash_attn_torch: return_attn_probs, alibi_slopes and block_table are not supported")
    window_size = tuple(window_size)
    starts_q, starts_k = cu_seqlens_q.tolist(), cu_seqlens_k.tolist()
    lengths_q = {b - a for a, b in zip(starts_q, starts_q[1:])}
    lengths_k = {b - a for a, b in zip(starts_k, starts_k[1:])}
    n_seqs = len(starts_q) - 1
    if n_seqs > 1 and lengths_q == lengths_k == {q.shape[0] // n_seqs} and q.shape[0] > 0:
        # Equal lengths (the training case): one batched call.
        length = q.shape[0] // n_seqs
        out = _batched(
            q.view(n_seqs, length, *q.shape[1:]),
            k.view(n_seqs, length, *k.shape[1:]),
            v.view(n_seqs, length, *v.shape[1:]),
            softmax_scale, causal, window_size, dropout_p,
        )
        return out.reshape(q.shape[0], q.shape[1], v.shape[-1])
    outputs = [
        _attend(q[qa:qb_], k[ka:kb_], v[ka:kb_], softmax_scale, causal, window_size, dropout_p)
        for qa, qb_, ka, kb_ in zip(starts_q, starts_q[1:], starts_k, starts_k[1:])
    ]
    out = q.new_zeros(q.shape[0], q.shape[1], v.shape[-1])
    if outputs:
        # Rows past cu_seqlens_q[-1] are not part of any sequence; flash-attn leaves them unspecified.
        out[: starts_q[-1]] = torch.cat(outputs)
    return out


def _batched(q, k, v, softmax_scale, causal, window_size, dropout_p):
    """q [B, L, Hq, D], k/v [B, L, Hk, D], equal lengths -> [B, L, Hq, Dv]."""
    n_q_heads, n_kv_heads = q.shape[2], k.shape[2]
    if n_q_heads != n_kv_heads:
        k = k.repeat_interleave(n_q_heads // n_kv_heads, dim=2)
        v = v.repeat_interleave(n_q_heads // n_kv_heads, dim=2)
    q, k, v = (t.transpose(1, 2) for t in (q, k, v))  # [B, H, L, D]
    if causal and tuple(window_size) == (-1, -1):
        out = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p, is_causal=True, scale=softmax_scale)
    else:
        allowed = _allowed_keys(q.shape[2], k.shape[2], causal, window_size, q.device)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, dropout_p=dropout_p, scale=softmax_scale)
    return out.transpose(1, 2)


def flash_attn_with_kvcache(
    q,
    k_cache,
    v_cache,
    k=None,
    v=None,
    rotary_cos=None,
    rotary_sin=None,
    cache_seqlens: Union[int, torch.Tensor, None] = None,
    cache_batch_idx=None,
    block_table=None,
    softmax_scale=None,
    causal=False,
    window_size=(-1, -1),
    rotary_interleaved=True,
    alibi_slopes=None,
    num_splits=0,
    return_softmax_lse=False,
):
    """Decode step: write k/v [B, Lnew, Hk, D] into the caches at cache_seqlens (in place, like flash-attn),
    then attend q [B, Lq, Hq, D] to each row's first cache_seqlens + Lnew positions."""
    if rotary_cos is not None or cache_batch_idx is not None or block_table is not None or alibi_slopes is not None:
        raise NotImplementedError("flash_attn_torch: rotary, cache_batch_idx, block_table and alibi are not supported")
    if return_softmax_lse:
        raise NotImplementedError("flash_attn_torch: return_softmax_lse is not supported")
    batch = q.shape[0]
    if cache_seqlens is None:
        seqlens = [0] * batch
    elif isinstance(cache_seqlens, int):
        seqlens = [cache_seqlens] * batch
    else:
        seqlens = cache_seqlens.reshape(-1).expand(batch).tolist()
    new_len = 0 if k is None else k.shape[1]
    outputs = []
    for b in range(batch):
        start = int(seqlens[b])
        if k is not None:
            k_cache[b, start : start + new_len] = k[b]
            v_cache[b, start : start + new_len] = v[b]
        end = start + new_len
        outputs.append(_attend(q[b], k_cache[b, :end], v_cache[b, :end], softmax_scale, causal, tuple(window_size), 0.0))
    return torch.stack(outputs)


def unpad_input(hidden_states, attention_mask):
    """[B, L, ...] + bool mask [B, L] -> (tokens [n, ...], indices, cu_seqlens int32, max_seqlen)."""
    seqlens = attention_mask.sum(dim=-1, dtype=torch.int32)
    indices = torch.nonzero(attention_mask.flatten(), as_tuple=False).flatten()
    max_seqlen = int(seqlens.max().item()) if seqlens.numel() else 0
    cu_seqlens = F.pad(torch.cumsum(seqlens, dim=0, dtype=torch.int32), (1, 0))
    flat = hidden_states.reshape(-1, *hidden_states.shape[2:])
    return flat[indices], indices, cu_seqlens, max_seqlen


def pad_input(hidden_states, indices, batch, seqlen):
    """Inverse of unpad_input: [n, ...] -> [batch, seqlen, ...] with zeros at the padded positions."""
    out = hidden_states.new_zeros(batch * seqlen, *hidden_states.shape[1:])
    out[indices] = hidden_states
    return out.view(batch, seqlen, *hidden_states.shape[1:])


def _rotate(x, cos, sin, interleaved: bool):
    """x [B, L, H, D]; cos/sin [B or 1, L, rotary_dim / 2]; rotates the first rotary_dim features in fp32."""
    rotary_dim = cos.shape[-1] * 2
    x_rot, x_pass = x[..., :rotary_dim].float(), x[..., rotary_dim:]
    cos, sin = cos[:, :, None, :], sin[:, :, None, :]
    if interleaved:
        x1, x2 = x_rot[..., 0::2], x_rot[..., 1::2]
        rotated = torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(-2)
    else:
        x1, x2 = x_rot.chunk(2, dim=-1)
        rotated = torch.cat((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1)
    return torch.cat((rotated.to(x.dtype), x_pass), dim=-1)


class RotaryEmbedding(torch.nn.Module):
    """flash_attn.layers.rotary.RotaryEmbedding: forward(qkv) or forward(q, kv=...) -> rotated (q, kv)."""

    def __init__(self, dim: int, base: float = 10000.0, interleaved: bool = False, scale_base=None,
                 pos_idx_in_fp32: bool = True, device=None):
        super().__init__()
        if scale_base is not None:
            raise NotImplementedError("flash_attn_torch: XPos (scale_base) is not supported")
        self.dim, self.base, self.interleaved = dim, float(base), interleaved

    def _cos_sin(self, seqlen: int, offset, device):
        inv_freq = 1.0 / (self.base ** (torch.arange(0, self.dim, 2, device=device, dtype=torch.float32) / self.dim))
        positions = torch.arange(seqlen, device=device, dtype=torch.float32)
        if isinstance(offset, torch.Tensor):
            positions = positions[None, :] + offset.to(device=device, dtype=torch.float32).reshape(-1, 1)
        else:
            positions = (positions + offset)[None, :]
        freqs = positions[..., None] * inv_freq  # [B or 1, L, dim / 2]
        return torch.cos(freqs), torch.sin(freqs)

    def forward(self, qkv, kv=None, seqlen_offset: Union[int, torch.Tensor] = 0, max_seqlen=None):
        seqlen = qkv.shape[1]
        cos, sin = self._cos_sin(seqlen, seqlen_offset, qkv.device)
        if kv is None:  # qkv [B, L, 3, H, D]
            q = _rotate(qkv[:, :, 0], cos, sin, self.interleaved)
            k = _rotate(qkv[:, :, 1], cos, sin, self.interleaved)
            return torch.stack((q, k, qkv[:, :, 2]), dim=2)
        q = _rotate(qkv, cos, sin, self.interleaved)  # q [B, L, H, D], kv [B, L, 2, Hk, D]
        k = _rotate(kv[:, :, 0], cos, sin, self.interleaved)
        return q, torch.stack((k, kv[:, :, 1]), dim=2)


def layer_norm_fn(
    x,
    weight,
    bias,
    residual=None,
    x1=None,
    weight1=None,
    bias1=None,
    eps=1e-6,
    dropout_p=0.0,
    rowscale=None,
    prenorm=False,
    residual_in_fp32=False,
    is_rms_norm=False,
    return_dropout_mask=False,
    **unsupported,
):
    """flash_attn.ops.triton.layer_norm.layer_norm_fn: (dropout(x) + residual) -> (Layer|RMS)Norm, in fp32.

    Returns the normalized tensor, and with prenorm=True also the pre-norm sum (the next residual)."""
    if x1 is not None or weight1 is not None or rowscale is not None or return_dropout_mask or unsupported:
        raise NotImplementedError("flash_attn_torch.layer_norm_fn: x1/weight1/rowscale/dropout masks are not supported")
    out_dtype = x.dtype
    if dropout_p > 0.0:
        x = F.dropout(x, p=dropout_p, training=True)
    summed = x.float() if residual is None else x.float() + residual.float()
    if is_rms_norm:
        normed = summed * torch.rsqrt(summed.pow(2).mean(-1, keepdim=True) + eps)
    else:
        normed = F.layer_norm(summed, summed.shape[-1:], eps=eps)
    normed = normed * weight.float()
    if bias is not None:
        normed = normed + bias.float()
    out = normed.to(out_dtype)
    if not prenorm:
        return out
    residual_dtype = residual.dtype if residual is not None else (torch.float32 if residual_in_fp32 else out_dtype)
    return out, summed.to(residual_dtype)
