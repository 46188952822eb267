import pyarrow as pa

WEB_TEXT_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),  # web_pages' doc_id
        ("dump", pa.string()),
        ("url", pa.string()),
        ("host", pa.string()),
        ("domain", pa.string()),
        ("fetch_time", pa.timestamp("us", tz="UTC")),
        ("title", pa.string()),
        ("language", pa.string()),  # ISO 639-1 code, or "unknown"
        ("language_score", pa.float64()),
        ("extractor", pa.string()),  # main_content | whole_page | whole_page_fallback
        ("size", pa.int64()),  # UTF-8 bytes of text
        ("sha256", pa.string()),  # of text
        ("text", pa.large_string()),
    ]
)
