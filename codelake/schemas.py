"""Columns shared by the stage tables that carry a file's identity and metadata but not its text."""

import pyarrow as pa

DOC_METADATA_FIELDS = [
    pa.field("doc_id", pa.string()),
    pa.field("dump", pa.string()),
    pa.field("repo", pa.string()),
    pa.field("path", pa.string()),
    pa.field("language", pa.string()),
    pa.field("size", pa.int64()),
    pa.field("sha256", pa.string()),
    pa.field("stars", pa.int64()),
    pa.field("commit_time", pa.timestamp("us", tz="UTC")),
]

DOC_METADATA_COLUMNS = [f.name for f in DOC_METADATA_FIELDS]
