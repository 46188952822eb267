import pyarrow as pa

RAW_FILES_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("dump", pa.string()),
        ("repo", pa.string()),  # the manifest's "owner/name"
        ("repo_dir", pa.string()),  # the folder in the dump
        ("path", pa.string()),  # inside the repository
        ("language", pa.string()),
        ("size", pa.int64()),
        ("sha256", pa.string()),
        ("stars", pa.int64()),
        ("commit_time", pa.timestamp("us", tz="UTC")),
        ("license", pa.string()),
        ("source", pa.string()),
        ("text", pa.large_string()),
    ]
)
