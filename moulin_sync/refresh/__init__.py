"""The "refresh this contact" service: what the HubSpot contact card's button calls."""
