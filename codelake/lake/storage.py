"""Where a lake lives: a local folder, or an S3-compatible object store (`s3://bucket/prefix`).

Delta (delta-rs) takes the store's settings as `storage_options` with its own names (AWS_ENDPOINT_URL,
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ALLOW_HTTP, ...); the same options configure
the Arrow filesystem that writes the Parquet files and the DuckDB secret that reads them back."""

from __future__ import annotations

import os
from urllib.parse import urlparse

import pyarrow.fs as pafs

# Read from the environment when the lake is on an object store and the caller passed no value.
STORAGE_ENV = ("AWS_ENDPOINT_URL", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ALLOW_HTTP")


def is_object_store(root: object) -> bool:
    return isinstance(root, str) and "://" in root and not root.startswith("file://")


class ObjectStorePath(str):
    """An object-store URI that joins like a Path (`root / "raw_files"`), so code that formats or joins
    table paths works for both kinds of lake."""

    def __truediv__(self, other: object) -> ObjectStorePath:
        return ObjectStorePath(self.rstrip("/") + "/" + str(other).strip("/"))

    @property
    def name(self) -> str:
        return self.rstrip("/").rsplit("/", 1)[-1]

    @property
    def parent(self) -> ObjectStorePath:
        return ObjectStorePath(self.rstrip("/").rsplit("/", 1)[0])

    def resolve(self) -> ObjectStorePath:
        return self


def with_environment(options: dict[str, str] | None) -> dict[str, str]:
    """The given options, completed from the environment's AWS_* variables (the given ones win)."""
    return {**{k: os.environ[k] for k in STORAGE_ENV if os.environ.get(k)}, **(options or {})}


def _truthy(value: str | None) -> bool:
    return str(value).lower() in {"1", "true", "yes"}


def filesystem_for(uri: str, options: dict[str, str]) -> tuple[pafs.FileSystem, str]:
    """An Arrow filesystem for `uri` and the path inside it (bucket/prefix for S3)."""
    parsed = urlparse(uri)
    if parsed.scheme not in {"s3", "s3a"}:
        raise ValueError(f"{uri}: only s3:// (S3-compatible) object stores are supported for the lake")
    endpoint = options.get("AWS_ENDPOINT_URL")
    scheme = "https"
    if endpoint:
        scheme = urlparse(endpoint).scheme or "https"
        endpoint = endpoint.split("://", 1)[-1].rstrip("/")
        if scheme == "http" and not _truthy(options.get("AWS_ALLOW_HTTP")):
            raise ValueError(f"{uri}: AWS_ENDPOINT_URL {options['AWS_ENDPOINT_URL']} is plain http: set AWS_ALLOW_HTTP=true to allow it")
    fs = pafs.S3FileSystem(
        access_key=options.get("AWS_ACCESS_KEY_ID"), secret_key=options.get("AWS_SECRET_ACCESS_KEY"),
        session_token=options.get("AWS_SESSION_TOKEN"), region=options.get("AWS_REGION"), endpoint_override=endpoint, scheme=scheme,
        # a file smaller than one part is sent with one PutObject, not a multipart upload
        allow_delayed_open=True,
    )
    return fs, (parsed.netloc + parsed.path).rstrip("/")


def duckdb_secret_sql(options: dict[str, str]) -> str:
    """CREATE SECRET for DuckDB's httpfs/delta readers from the same options (path-style URLs, as
    S3-compatible servers expect)."""

    def lit(value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    parts = ["TYPE s3", "URL_STYLE 'path'"]
    for option, key in (("AWS_ACCESS_KEY_ID", "KEY_ID"), ("AWS_SECRET_ACCESS_KEY", "SECRET"), ("AWS_SESSION_TOKEN", "SESSION_TOKEN"),
                        ("AWS_REGION", "REGION")):
        if options.get(option):
            parts.append(f"{key} {lit(options[option])}")
    endpoint = options.get("AWS_ENDPOINT_URL")
    if endpoint:
        parts.append(f"ENDPOINT {lit(endpoint.split('://', 1)[-1].rstrip('/'))}")
        parts.append(f"USE_SSL {'false' if endpoint.startswith('http://') else 'true'}")
    return f"CREATE OR REPLACE SECRET codelake_lake ({', '.join(parts)})"
