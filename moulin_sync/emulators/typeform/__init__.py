"""A stateful stand-in for Typeform's Responses API (docs/typeform-emulator.md).

Modules: `service` (`TypeformEmulator`: `core` with the routes), `core` (credential, rate
limit, error bodies, listing delay, state), `handlers` (`GET /forms/{form_id}`,
`GET /forms/{form_id}/responses`), `query` (the listing's parameters), `listing` (filters,
cursors, order, pages), `forms` and `items` (what the admin routes accept), `admin`
(`/_emulator/forms/...`, `/_emulator/settings`), `limiter` (2 requests/s per account),
`errors`, `timestamps`, `cli`.
"""
