"""The App du Moulin database, read only."""

from typing import Any

from dagster import ConfigurableResource
from pydantic import Field

from moulin_sync.sources.app_du_moulin.reader import SourceReader


class AppDuMoulinSource(ConfigurableResource):
    url: str = Field(description="The App du Moulin database (MOULIN_SOURCE_URL).")

    def config(self) -> str:
        """Its settings, as `moulin_sync.sources.APP_DU_MOULIN` takes them."""
        return self.url

    def reader(self) -> SourceReader:
        reader = SourceReader(self.url)
        reader.check()
        return reader


def resources(settings: Any) -> dict[str, ConfigurableResource]:
    """The App du Moulin's resource, for `defs/resources.py` to collect."""
    from moulin_sync.defs.resources import from_env

    return {"source": AppDuMoulinSource(url=from_env(settings, "source_url"))}
