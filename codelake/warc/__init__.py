"""Reading crawl WARC files: records (fastwarc) with resynchronisation past damage, HTTP bodies decoded
with bounded output, charsets, registered domains. Shared by the web stages and the web benchmark."""
