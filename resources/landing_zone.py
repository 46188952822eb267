from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from codelake.dumps.landing import LandedDump, Skipped, find_dump, scan_landing_zone
from codelake.settings import default_landing_zone
from codelake.warc.files import WARC_SUFFIXES, default_web_landing_zone


class LandingZoneResource(ConfigurableResource):
    """The directories where crawl dumps are dropped: code dumps (folders or archives of repositories) and
    web dumps (`.warc` / `.warc.gz` files, or folders of them with `_SUCCESS`)."""

    path: str = Field(default_factory=lambda: str(default_landing_zone()), description="Landing-zone directory for code dumps")
    web_path: str = Field(default_factory=lambda: str(default_web_landing_zone()), description="Landing-zone directory for web dumps (WARC files)")
    settle_seconds: float = Field(default=30.0, description="An archive unmodified this long is considered fully copied")

    def scan(self) -> tuple[list[LandedDump], list[Skipped]]:
        return scan_landing_zone(Path(self.path), self.settle_seconds)

    def dump_path(self, name: str) -> Path:
        return find_dump(Path(self.path), name)

    def scan_web(self) -> tuple[list[LandedDump], list[Skipped]]:
        return scan_landing_zone(Path(self.web_path), self.settle_seconds, suffixes=WARC_SUFFIXES)

    def web_dump_path(self, name: str) -> Path:
        return find_dump(Path(self.web_path), name, WARC_SUFFIXES)
