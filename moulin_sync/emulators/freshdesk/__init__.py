"""A stateful stand-in for Freshdesk API v2 (see docs/freshdesk-emulator.md).

Modules, top-down:
- `cli`: `moulin-sync emulator freshdesk`; `service`: `FreshdeskEmulator` on the toolkit;
- `account`: what the endpoints work on (they import it, never the service);
- `ticket_routes`, `people` (contacts, companies, agents), `admin`: the endpoints;
- `ticket_list`: what a ticket listing holds and in which order; `paging`: pages, links;
- `tickets`, `contacts`, `companies`, `agents`: the records and their JSON;
- `bulk`: the admin bulk load; `limits`: the plans' per-minute credits;
- `store`, `state_file`, `clock`: the account in memory, its SQLite file, its clock;
- `fields`, `answers`, `timefmt`: request validation, error bodies, timestamps.
"""
