"""The LLM response cache: a Delta table in the lake keyed by a hash of (model, messages, parameters).

A re-materialization asks the cache first and pays only for prompts it has never sent. Responses are
appended in small commits while a session runs, so a crash loses at most one batch of paid answers.
Only successful completions are cached (an error is retried next time).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading

import pyarrow as pa
import pyarrow.compute as pc

from codelake.lake import Lake
from codelake.llm.client import Completion

CACHE_TABLE = "llm_responses"
CACHE_SCHEMA = pa.schema(
    [
        ("key", pa.string()),
        ("model", pa.string()),
        ("prompt", pa.string()),  # the template's name (rules/prompts/<name>.yaml), for reading the cache by hand
        ("messages", pa.large_string()),  # JSON
        ("params", pa.string()),  # JSON
        ("text", pa.large_string()),
        ("prompt_tokens", pa.int64()),
        ("completion_tokens", pa.int64()),
        ("finish_reason", pa.string()),
        ("created_at", pa.timestamp("us", tz="UTC")),
    ]
)


def request_key(model: str, messages: list[dict], params: dict) -> str:
    """The same model, messages and parameters always give the same key (JSON with sorted keys, SHA-256)."""
    canonical = json.dumps({"model": model, "messages": messages, "params": params}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ResponseCache:
    def __init__(self, lake: Lake, table: str = CACHE_TABLE, flush_every: int = 32):
        self.lake, self.table, self.flush_every = lake, table, flush_every
        self._pending: list[dict] = []
        self._lock = threading.Lock()
        self.written = 0

    def lookup(self, keys: list[str]) -> dict[str, Completion]:
        """The cached completions among `keys` (one scan of the table, filtered on the key column)."""
        if not keys or not self.lake.exists(self.table):
            return {}
        wanted = pa.array(sorted(set(keys)), pa.string())
        rows = self.lake.dataset(self.table).to_table(
            columns=["key", "model", "text", "prompt_tokens", "completion_tokens", "finish_reason"], filter=pc.field("key").isin(wanted)
        )
        return {
            row["key"]: Completion(row["text"], row["prompt_tokens"], row["completion_tokens"], row["finish_reason"], row["model"], cached=True)
            for row in rows.to_pylist()
        }

    def add(self, key: str, prompt: str, messages: list[dict], params: dict, completion: Completion) -> None:
        with self._lock:
            self._pending.append(
                {
                    "key": key, "model": completion.model, "prompt": prompt,
                    "messages": json.dumps(messages, ensure_ascii=False), "params": json.dumps(params, sort_keys=True),
                    "text": completion.text, "prompt_tokens": completion.prompt_tokens,
                    "completion_tokens": completion.completion_tokens, "finish_reason": completion.finish_reason,
                    "created_at": dt.datetime.now(dt.timezone.utc),
                }
            )
            full = len(self._pending) >= self.flush_every
        if full:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            rows, self._pending = self._pending, []
            if rows:
                self.lake.write(self.table, [pa.RecordBatch.from_pylist(rows, schema=CACHE_SCHEMA)], CACHE_SCHEMA, append=True)
                self.written += len(rows)
