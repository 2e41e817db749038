/**
 * The entry point HubSpot loads: it must register for the contact record tab
 * and send the record id from the extension's context through hubspot.fetch.
 */
import type { ReactElement } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { hubspot, LoadingSpinner, Text, type HubSpotFetchOptions } from '@hubspot/ui-extensions';
import { createRenderer } from '@hubspot/ui-extensions/testing';
import { BACKEND_URL } from '../src/app/cards/config';
import { FOUND_STATUS, fakeFetch } from './fake-backend';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('MoulinRefreshCard.tsx', () => {
  it('registers with hubspot.extend and asks hubspot.fetch about context.crm.objectId', async () => {
    const extend = vi.spyOn(hubspot, 'extend').mockImplementation(() => {});
    const fake = fakeFetch(() => ({ status: 200, body: { ...FOUND_STATUS, objectId: '4711' } }));
    vi.spyOn(hubspot, 'fetch').mockImplementation(
      (url: string | URL, options?: HubSpotFetchOptions) => fake(String(url), options) as Promise<Response>,
    );

    await import('../src/app/cards/MoulinRefreshCard');
    expect(extend).toHaveBeenCalledTimes(1);
    const renderCard = extend.mock.calls[0][0] as (api: object) => ReactElement;

    const renderer = createRenderer('crm.record.tab');
    renderer.mocks.context.crm.objectId = 4711;
    renderer.render(renderCard({ context: renderer.mocks.context, actions: renderer.mocks.actions }));
    await renderer.waitFor(() =>
      expect(renderer.maybeFindByTestId(LoadingSpinner, 'status-spinner')).toBeNull(),
    );

    expect(fake.calls.map((c) => c.url)).toEqual([
      `${BACKEND_URL}/hubspot/contact-status?objectId=4711`,
    ]);
    expect(renderer.findByTestId(Text, 'orders-in-app').text).toBe('3');
  });
});
