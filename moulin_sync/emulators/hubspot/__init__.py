"""A faithful, stateful HubSpot CRM API emulator (see docs/hubspot-emulator.md)."""
