"""Greedy completions from a Nanotron Llama checkpoint, on CPU, for evaluation.

    python -m training.generate --checkpoint CKPT --tokenizer tokenizer.json --prompts prompts.jsonl \
        --out completions.jsonl --max-new-tokens 128 [--stop "\\ndef " --stop "\\nclass " ...]

CKPT is a checkpoint step folder (.../checkpoints/30) or a checkpoints folder (its latest.txt is read).
Each prompts line is a JSON object with a "prompt" string; its other fields (e.g. task_id) are copied to
the output line, which adds "completion" (text, cut before the first stop string), "completion_ids" and
"stopped_by" (eos | stop | max_new_tokens). Generation stops at the tokenizer's <|endoftext|>.

The forward pass is plain torch over the checkpoint's safetensors (any TP/PP layout: shards are
reassembled from the slice metadata Nanotron stores with each one), written to match Nanotron's
LlamaForTraining exactly: RMSNorm, grouped-query attention, SwiGLU, and the interleaved rotary embedding
Nanotron 0.4 trains with (base 10000: its LlamaConfig has no rope_theta). No process group, no Nanotron
import, no GPU; a KV cache makes each new token one small step.
"""

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import torch
import torch.nn.functional as F

ROPE_BASE = 10000.0  # what nanotron 0.4's Llama uses, whatever the preset says (see docs/training.md)
END_OF_TEXT = "<|endoftext|>"


@dataclass
class LlamaWeights:
    config: dict
    embed: torch.Tensor
    layers: list[dict]
    final_norm: torch.Tensor
    lm_head: torch.Tensor


def checkpoint_dir(path: str | Path) -> Path:
    path = Path(path)
    if (path / "latest.txt").exists():
        path = path / (path / "latest.txt").read_text().strip()
    if not (path / "model_config.json").exists():
        raise FileNotFoundError(f"{path}: not a Nanotron checkpoint (no model_config.json)")
    return path


def _slices(text: str) -> tuple:
    def one(part):
        start, stop, step = (None if v == "None" else int(v) for v in part.split(","))
        return slice(start, stop, step)

    return tuple(one(p) for p in text.split("|"))


def load_parameter(folder: Path) -> torch.Tensor:
    """One parameter: a single file, or TP shards placed by their local->global slice metadata."""
    from safetensors import safe_open

    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise FileNotFoundError(f"{folder}: no safetensors")
    full = None
    for file in files:
        with safe_open(str(file), "pt") as shard:
            data, meta = shard.get_tensor("data"), shard.metadata() or {}
        if "local_global_slices_pairs" not in meta:
            return data.float()
        if full is None:
            shape = tuple(int(n) for n in re.findall(r"\d+", meta["unsharded_shape"].replace("np.int64", "")))
            full = torch.empty(shape, dtype=torch.float32)
        for pair in meta["local_global_slices_pairs"].split(";"):
            local, global_ = pair.split("#")
            full[_slices(global_)] = data[_slices(local)].float()
    return full


def load_llama(checkpoint: str | Path) -> LlamaWeights:
    ckpt = checkpoint_dir(checkpoint)
    config = json.loads((ckpt / "model_config.json").read_text())
    root = ckpt / "model" / "model"
    layers = []
    for index in range(config["num_hidden_layers"]):
        block = root / "decoder" / str(index) / "pp_block"
        layers.append(
            {
                "input_norm": load_parameter(block / "input_layernorm"),
                "qkv": load_parameter(block / "attn" / "qkv_proj"),
                "o": load_parameter(block / "attn" / "o_proj"),
                "post_norm": load_parameter(block / "post_attention_layernorm"),
                "gate_up": load_parameter(block / "mlp" / "gate_up_proj"),
                "down": load_parameter(block / "mlp" / "down_proj"),
            }
        )
    embed = load_parameter(root / "token_position_embeddings" / "pp_block" / "token_embedding")
    lm_head = embed if config.get("tie_word_embeddings") else load_parameter(root / "lm_head" / "pp_block")
    return LlamaWeights(config, embed, layers, load_parameter(root / "final_layer_norm" / "pp_block"), lm_head)


def _rms_norm(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def _rotate_interleaved(x, positions):
    """x [T, H, D]: pairs (x0, x1), (x2, x3), ... rotated by position * base^(-2i/D)."""
    dim = x.shape[-1]
    inv_freq = 1.0 / (ROPE_BASE ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))
    angles = positions.float()[:, None] * inv_freq  # [T, D/2]
    cos, sin = angles.cos()[:, None, :], angles.sin()[:, None, :]
    x1, x2 = x[..., 0::2], x[..., 1::2]
    return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(-2)


class LlamaRunner:
    """Forward passes over one sequence with a KV cache."""

    def __init__(self, weights: LlamaWeights):
        self.w = weights
        c = weights.config
        self.n_heads, self.n_kv = c["num_attention_heads"], c["num_key_value_heads"]
        self.head_dim = c["hidden_size"] // self.n_heads
        self.eps = c["rms_norm_eps"]
        self.reset()

    def reset(self):
        self.cache = [(None, None) for _ in self.w.layers]
        self.length = 0

    @torch.no_grad()
    def forward(self, token_ids: list[int]) -> torch.Tensor:
        """Logits [len(token_ids), vocab] for tokens appended after what the cache already holds."""
        x = self.w.embed[torch.tensor(token_ids)]
        positions = torch.arange(self.length, self.length + len(token_ids))
        d, nq, nkv = self.head_dim, self.n_heads, self.n_kv
        for index, layer in enumerate(self.w.layers):
            h = _rms_norm(x, layer["input_norm"], self.eps)
            q, k, v = (h @ layer["qkv"].T).split([nq * d, nkv * d, nkv * d], dim=-1)
            q = _rotate_interleaved(q.view(-1, nq, d), positions)
            k = _rotate_interleaved(k.view(-1, nkv, d), positions)
            v = v.view(-1, nkv, d)
            past_k, past_v = self.cache[index]
            if past_k is not None:
                k, v = torch.cat((past_k, k)), torch.cat((past_v, v))
            self.cache[index] = (k, v)
            keys = k.repeat_interleave(nq // nkv, dim=1).transpose(0, 1)  # [H, S, D]
            values = v.repeat_interleave(nq // nkv, dim=1).transpose(0, 1)
            queries = q.transpose(0, 1)  # [H, T, D]
            # Query t (absolute position length + t) sees keys up to its own position.
            allowed = torch.arange(keys.shape[1])[None, :] <= positions[:, None]
            attn = F.scaled_dot_product_attention(queries, keys, values, attn_mask=allowed)
            x = x + attn.transpose(0, 1).reshape(len(token_ids), nq * d) @ layer["o"].T
            h = _rms_norm(x, layer["post_norm"], self.eps)
            gate, up = (h @ layer["gate_up"].T).chunk(2, dim=-1)
            x = x + (F.silu(gate) * up) @ layer["down"].T
        self.length += len(token_ids)
        return _rms_norm(x, self.w.final_norm, self.eps) @ self.w.lm_head.T


def greedy_complete(runner: LlamaRunner, prompt_ids: list[int], max_new_tokens: int, stop_ids: set[int],
                    decode, stop_strings: list[str]) -> tuple[list[int], str, str]:
    runner.reset()
    logits = runner.forward(prompt_ids)[-1]
    generated: list[int] = []
    for _ in range(max_new_tokens):
        token = int(torch.argmax(logits))
        if token in stop_ids:
            return generated, decode(generated), "eos"
        generated.append(token)
        text = decode(generated)
        cut = min((text.find(s) for s in stop_strings if s in text), default=-1)
        if cut >= 0:
            return generated, text[:cut], "stop"
        logits = runner.forward([token])[-1]
    return generated, decode(generated), "max_new_tokens"


def generate_file(checkpoint: str, tokenizer_path: str, prompts_path: str, out_path: str, max_new_tokens: int,
                  stop_strings: Optional[list[str]] = None) -> int:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    weights = load_llama(checkpoint)
    if tokenizer.get_vocab_size() > weights.config["vocab_size"]:
        raise ValueError(f"{tokenizer_path}: {tokenizer.get_vocab_size()} tokens, but the model has "
                         f"{weights.config['vocab_size']}: not the tokenizer this checkpoint was trained with")
    runner = LlamaRunner(weights)
    stop_ids = {i for i in [tokenizer.token_to_id(END_OF_TEXT)] if i is not None}
    max_context = weights.config["max_position_embeddings"]
    decode = lambda ids: tokenizer.decode(ids, skip_special_tokens=False)  # noqa: E731
    count = 0
    with open(prompts_path) as prompts, open(out_path, "w") as out:
        for number, line in enumerate(prompts, 1):
            if not line.strip():
                continue
            record = json.loads(line)
            if not isinstance(record.get("prompt"), str):
                raise ValueError(f"{prompts_path}:{number}: a JSON object with a \"prompt\" string is required")
            ids = tokenizer.encode(record["prompt"]).ids
            # Keep the prompt's end when prompt + completion would exceed the trained context.
            ids = ids[-max(1, max_context - max_new_tokens):]
            completion_ids, completion, stopped_by = greedy_complete(
                runner, ids, max_new_tokens, stop_ids, decode, stop_strings or []
            )
            out.write(json.dumps({**record, "completion": completion, "completion_ids": completion_ids,
                                  "stopped_by": stopped_by}) + "\n")
            count += 1
    return count


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.generate", description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--tokenizer", required=True)
    parser.add_argument("--prompts", required=True, help="JSONL, one {\"prompt\": ...} per line")
    parser.add_argument("--out", required=True)
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--stop", action="append", default=[], help="cut the completion before this string")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        count = generate_file(args.checkpoint, args.tokenizer, args.prompts, args.out, args.max_new_tokens, args.stop)
    except (OSError, ValueError) as err:
        print(f"training.generate: {err}", file=sys.stderr)
        return 1
    print(f"training.generate: {count} completions -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
