"""Live sync: change sensors on the sources and the `live_sync` job they launch."""
