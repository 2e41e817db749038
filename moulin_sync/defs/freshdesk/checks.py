"""The tickets stream's check reading HubSpot: one HubSpot ticket per Freshdesk ticket."""

from moulin_sync.defs.hubspot.duplicate_checks import duplicate_check
from moulin_sync.hubspot.streams.tickets import TICKETS

no_duplicate_tickets = duplicate_check(TICKETS)
