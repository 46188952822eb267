"""The chat schema every SFT table shares, and the columns verification adds."""

import pyarrow as pa

TURN = pa.struct([("role", pa.string()), ("content", pa.string())])

SFT_RAW_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),  # stable: hash of instruction set, file and position
        ("dump", pa.string()),  # the instruction set's partition key (`stage1.<name>`), or `synth` for lake-made samples
        ("repo", pa.string()),  # the source named by the manifest (for synthesized samples: the code file's repository)
        ("path", pa.string()),  # `<file>:<line or row>` in the set (synthesized: the code file's path)
        ("stage", pa.string()),  # the SFT stage the source is meant for: stage1 or stage2
        ("source", pa.string()),
        ("license", pa.string()),
        ("format", pa.string()),  # messages, conversations, alpaca, prompt_completion (synthesized: fim, docstring, ...)
        ("record_id", pa.string()),  # the record's own id field, when it has one
        ("language", pa.string()),  # the answer's main code language (by fenced-block characters), else the manifest's, else text
        ("messages", pa.list_(TURN)),
        ("tests", pa.list_(pa.string())),  # Python tests the record carries (run by sft_verified)
        ("size", pa.int64()),  # UTF-8 bytes of all turns
    ]
)

VERIFICATION_FIELDS = [
    pa.field("code_blocks", pa.int32()),  # fenced blocks in the answers
    pa.field("parsed_blocks", pa.int32()),  # of them, parsed without error (Python ast / tree-sitter)
    pa.field("unchecked_blocks", pa.int32()),  # untagged, not-code or unknown-language blocks: not parsed
    pa.field("execution", pa.string()),  # not_run, passed, failed, timeout, limit_exceeded, crashed
    pa.field("execution_detail", pa.string()),
]

SFT_VERIFIED_SCHEMA = pa.schema([*SFT_RAW_SCHEMA, *VERIFICATION_FIELDS])


def turns_array(rows: list[list[dict]]) -> pa.Array:
    return pa.array(rows, pa.list_(TURN))
