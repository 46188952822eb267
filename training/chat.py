"""Chat samples for SFT: records in the common formats, rendered with the ChatML template and packed into
`.ds` shards like the pretraining data.

  <|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n{answer}<|im_end|>\n<|endoftext|>

The loss is meant for the answers only (OpenCoder, Qwen2.5-Coder, TRL's completion-only training): every
shard gets a `.ds.loss_mask` (`training.loss_mask`) marking each assistant turn's content and its
`<|im_end|>`, the tokens a model must produce after `<|im_start|>assistant\n`. The role header is its own
segment, encoded apart from the content, as it is at inference (the prompt ends with it and generation
continues from there).

Formats read: OpenAI `messages` [{role, content}], ShareGPT `conversations` [{from, value}], Alpaca
`instruction`/`input`/`output`, and `prompt`/`completion`. A record in none of them is counted as
skipped, with its file and line, never silently packed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

from codelake.sft_raw.formats import chat_turns
from training.fim import Segment
from training.packing import ShardWriter, encode_samples, token_masks
from training.tokenizer import token_size


def normalize(record: dict) -> list[dict] | None:
    """[{role, content}] for a record in one of the known formats, or None: the lake's one normalizer
    (codelake/sft_raw/formats.py: system turn first, user/assistant alternating, no empty turn)."""
    return chat_turns(record)


def chat_segments(turns: list[dict], im_start: int, im_end: int, eot: int) -> tuple[list[Segment], list[bool]]:
    """The rendered chat as segments, and per segment whether its tokens are loss targets (an assistant
    turn's content and <|im_end|>)."""
    segments: list[Segment] = []
    targets: list[bool] = []
    for turn in turns:
        answer = turn["role"] == "assistant"
        segments += [im_start, f"{turn['role']}\n", turn["content"], im_end, "\n"]
        targets += [False, False, answer, answer, False]
    return [*segments, eot], [*targets, False]


@dataclass
class ChatPackReport:
    records: int = 0
    packed: int = 0
    truncated: int = 0
    tokens: int = 0
    target_tokens: int = 0  # tokens of the assistant answers (their loss mask is 1)
    skipped: list[str] = field(default_factory=list)  # "file:line: why"
    files: list[str] = field(default_factory=list)


def _records(paths: list[Path], report: ChatPackReport) -> Iterator[list[dict]]:
    for path in paths:
        files = sorted(path.rglob("*.jsonl")) if path.is_dir() else [path]
        if not files:
            raise FileNotFoundError(f"{path}: no .jsonl chat files")
        for file in files:
            for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
                if not line.strip():
                    continue
                report.records += 1
                try:
                    turns = normalize(json.loads(line))
                except (json.JSONDecodeError, AttributeError, TypeError) as err:
                    report.skipped.append(f"{file}:{number}: not a JSON object ({err})")
                    continue
                if turns is None:
                    report.skipped.append(f"{file}:{number}: matches no chat format (messages, conversations, instruction/output, prompt/completion)")
                    continue
                yield turns


def pack_chat(paths: list[Path], tokenizer_path: Path, folder: Path, max_tokens: int, batch: int = 256) -> ChatPackReport:
    """Render every record of the JSONL files under `paths` and pack them into `folder`."""
    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    tokenizer.encode_special_tokens = True
    im_start, im_end, eot = (tokenizer.token_to_id(t) for t in ("<|im_start|>", "<|im_end|>", "<|endoftext|>"))
    if None in (im_start, im_end, eot):
        raise ValueError(f"{tokenizer_path}: lacks <|im_start|>, <|im_end|> or <|endoftext|>")
    report = ChatPackReport()
    writer = ShardWriter(folder, token_size(tokenizer.get_vocab_size()), 50_000_000, str(tokenizer_path), loss_masks=True)
    pending: list[list[Segment]] = []
    pending_targets: list[list[bool]] = []

    def flush() -> None:
        encoded = encode_samples(tokenizer, pending, max_tokens, eot)
        documents = [e.ids for e in encoded]
        mask = token_masks(encoded, pending_targets)
        writer.write(documents, np.split(mask, np.cumsum([len(d) for d in documents])[:-1]))
        report.packed += len(encoded)
        report.truncated += sum(e.truncated for e in encoded)
        report.target_tokens += int(mask.sum(dtype=np.int64))
        pending.clear()
        pending_targets.clear()

    for turns in _records(paths, report):
        segments, targets = chat_segments(turns, im_start, im_end, eot)
        pending.append(segments)
        pending_targets.append(targets)
        if len(pending) >= batch:
            flush()
    if pending:
        flush()
    writer.close()
    report.tokens, report.files = writer.total_tokens, writer.files
    if not report.packed:
        raise ValueError(f"{', '.join(map(str, paths))}: no usable chat record ({len(report.skipped)} skipped)")
    return report
