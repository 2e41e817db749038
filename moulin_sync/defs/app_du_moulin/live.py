"""The App du Moulin's change sensor (`app_du_moulin_live`): live sync of its changes."""

from moulin_sync.defs.live.sensor import live_sensor
from moulin_sync.sources.app_du_moulin.source import APP_DU_MOULIN

app_du_moulin_live = live_sensor(APP_DU_MOULIN)
