import pyarrow as pa

WEB_PAGES_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),  # 128-bit hash of dump, WARC file and record offset
        ("dump", pa.string()),
        ("url", pa.string()),  # WARC-Target-URI
        ("host", pa.string()),  # lower-case, no port, IDNA
        ("domain", pa.string()),  # registered domain (Public Suffix List)
        ("fetch_time", pa.timestamp("us", tz="UTC")),  # WARC-Date
        ("status", pa.int32()),
        ("content_type", pa.string()),  # media type, lower-case
        ("payload_bytes", pa.int64()),  # after transfer and content decoding
        ("encoding", pa.string()),  # the codec that decoded the page
        ("charset_source", pa.string()),  # header | meta | detected (-lossy: some characters replaced)
        ("content_encoding", pa.string()),  # Content-Encoding as captured ('' for none)
        ("warc_file", pa.string()),  # relative to the dump
        ("warc_offset", pa.int64()),  # byte offset of the record in that file
        ("warc_record_id", pa.string()),
        ("html", pa.large_string()),
    ]
)
