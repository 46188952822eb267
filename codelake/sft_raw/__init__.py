"""sft_raw: instruction records from the landing zone, normalized to one chat schema; unusable ones dropped with reasons."""

from codelake.sft_raw.formats import RawRules, chat_text, chat_turns, normalize_record
from codelake.sft_raw.landing import InstructionSet, InstructionSetError, default_instructions_landing, scan_instructions
from codelake.sft_raw.schema import SFT_RAW_SCHEMA, SFT_VERIFIED_SCHEMA
from codelake.sft_raw.stage import count_instruction_records, run_sft_raw

__all__ = [
    "SFT_RAW_SCHEMA", "SFT_VERIFIED_SCHEMA", "InstructionSet", "InstructionSetError", "RawRules", "chat_text", "chat_turns",
    "count_instruction_records", "default_instructions_landing", "normalize_record", "run_sft_raw", "scan_instructions",
]
