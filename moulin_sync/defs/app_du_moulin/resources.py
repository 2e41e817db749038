"""The App du Moulin database, read only."""

from dagster import ConfigurableResource
from pydantic import Field

from moulin_sync.sources.app_du_moulin.reader import SourceReader


class AppDuMoulinSource(ConfigurableResource):
    url: str = Field(description="The App du Moulin database (MOULIN_SOURCE_URL).")

    def reader(self) -> SourceReader:
        reader = SourceReader(self.url)
        reader.check()
        return reader
