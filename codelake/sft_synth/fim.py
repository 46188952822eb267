"""(a) FIM instructions: a logic block of a code file (a function's body, a loop, a branch) found with
tree-sitter and masked; the user turn shows the code around it with the mask, the answer is the block.

Only files that parse without error are used. Blocks between `min_lines` and `max_lines` lines are
candidates; `per_file` of them are taken by a seeded hash (deterministic, spread over the file).
"""

from __future__ import annotations

from collections.abc import Iterator

from codelake.sft_synth.rules import FimLanguage, SynthRules
from codelake.sft_synth.samples import seeded_rank, synth_row
from codelake.sft_verified.parse import syntax_tree


def logic_blocks(tree, spec: FimLanguage) -> Iterator[tuple[str, int, int]]:
    """(kind, start byte, end byte) of every maskable block, in document order."""
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type in spec.bodies:
            body = node.child_by_field_name("body")
            if body is not None:
                yield f"{node.type}.body", body.start_byte, body.end_byte
        elif node.type in spec.statements:
            yield node.type, node.start_byte, node.end_byte
        stack.extend(reversed(node.children))


def fim_samples(file: dict, spec: FimLanguage, rules: SynthRules) -> tuple[list[dict], str | None]:
    """(samples, why none) for one code_corpus file (`text`, `doc_id`, `repo`, `path`, `language`)."""
    cfg = rules.fim
    data = file["text"].encode("utf-8")
    if len(data) > cfg["max_file_bytes"]:
        return [], "file_too_large"
    tree = syntax_tree(spec.grammar, file["text"])
    if tree.root_node.has_error:
        return [], "unparsable_file"
    candidates = []
    for kind, start, end in logic_blocks(tree, spec):
        middle = data[start:end].decode("utf-8", "replace")
        lines = middle.count("\n") + 1
        if cfg["min_lines"] <= lines <= cfg["max_lines"] and middle.strip():
            candidates.append((seeded_rank(rules.seed, file["doc_id"], start, end), kind, start, end))
    if not candidates:
        return [], "no_logic_block"
    samples = []
    for _, kind, start, end in sorted(candidates)[: cfg["per_file"]]:
        prefix = data[:start].decode("utf-8", "replace")
        suffix = data[end:].decode("utf-8", "replace")
        middle = data[start:end].decode("utf-8", "replace")
        context = cfg["context_lines"]
        prefix_lines = prefix.split("\n")
        shown_prefix = "\n".join(prefix_lines[-context:])
        shown_suffix = "\n".join(suffix.split("\n")[: context + 1])
        first_line = len(prefix_lines)
        what = "the body of this function" if kind.endswith(".body") else f"this {kind.replace('_', ' ')}"
        user = (
            f"In this {file['language']} code from {file['repo']}/{file['path']}, {what} was replaced by {cfg['mask']}. "
            f"Write the missing code.\n\n```{spec.tag}\n{shown_prefix}{cfg['mask']}{shown_suffix}\n```"
        )
        answer = f"```{spec.tag}\n{middle}\n```"
        anchor = f"L{first_line}-{first_line + middle.count(chr(10))}:{kind}"
        samples.append(synth_row("fim", file, anchor, cfg["stage"], spec.tag, user, answer))
    return samples, None
