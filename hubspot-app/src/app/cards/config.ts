/**
 * Origin of the moulin-sync refresh service, with no trailing slash.
 *
 * Set it to the deployed MOULIN_REFRESH_PUBLIC_URL. HubSpot only lets
 * `hubspot.fetch` reach origins listed in `../app-hsmeta.json` under
 * `config.permittedUrls.fetch`, so change that list to the same origin
 * (a test checks that the two agree).
 */
export const BACKEND_URL = 'https://moulin-sync.example.com';
