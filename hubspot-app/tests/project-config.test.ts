/**
 * The HubSpot project files, checked against each other: a wrong origin in
 * permittedUrls or a stale entrypoint would only show up after an upload.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import project from '../hsproject.json';
import app from '../src/app/app-hsmeta.json';
import card from '../src/app/cards/moulin-refresh-card-hsmeta.json';
import cardPackage from '../src/app/cards/package.json';
import { BACKEND_URL } from '../src/app/cards/config';

const srcDir = fileURLToPath(new URL(`../${project.srcDir}/`, import.meta.url));

describe('HubSpot project', () => {
  it('is on platform version 2026.03 with sources under src/', () => {
    expect(project.platformVersion).toBe('2026.03');
    expect(project.srcDir).toBe('src');
  });

  it('lets hubspot.fetch reach exactly the backend origin', () => {
    const origin = new URL(BACKEND_URL).origin;
    expect(BACKEND_URL).toBe(origin); // no path, no trailing slash: the card appends paths
    expect(origin.startsWith('https://')).toBe(true);
    expect(app.config.permittedUrls.fetch).toEqual([origin]);
  });

  it('is a private app with a static token that may read contacts', () => {
    expect(app.type).toBe('app');
    expect(app.config.distribution).toBe('private');
    expect(app.config.auth.type).toBe('static');
    expect(app.config.auth.requiredScopes).toContain('crm.objects.contacts.read');
  });

  it('puts the card on the contact record, pointing at a file that exists', () => {
    expect(card.type).toBe('card');
    expect(card.config.location).toBe('crm.record.tab');
    expect(card.config.objectTypes).toEqual(['contacts']);
    expect(card.uid).not.toBe(app.uid);
    // HubSpot resolves the entrypoint from srcDir: "/app/cards/X.tsx".
    expect(existsSync(srcDir + card.config.entrypoint.replace(/^\//, ''))).toBe(true);
  });

  it('pins the card runtime dependencies HubSpot installs on upload', () => {
    expect(cardPackage.dependencies).toEqual({ '@hubspot/ui-extensions': '0.17.0', react: '18.3.1' });
  });
});
