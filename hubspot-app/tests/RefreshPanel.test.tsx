/**
 * The card as HubSpot would render it, through @hubspot/ui-extensions/testing,
 * with a fake hubspot.fetch standing in for the moulin-sync service.
 */
import { describe, expect, it } from 'vitest';
import { Alert, Button, List, LoadingSpinner, Text } from '@hubspot/ui-extensions';
import { createRenderer } from '@hubspot/ui-extensions/testing';
import { BACKEND_URL } from '../src/app/cards/config';
import { REFRESH_LABEL, RefreshPanel } from '../src/app/cards/RefreshPanel';
import type { Sleep } from '../src/app/cards/moulin-api';
import { NOT_OURS } from '../src/app/cards/sentences';
import {
  FOUND_STATUS,
  OUTCOME,
  deferred,
  fakeFetch,
  inTurn,
  instantSleep,
  type Call,
  type Reply,
} from './fake-backend';

const STATUS_URL = `${BACKEND_URL}/hubspot/contact-status?objectId=123`;
const REFRESH_URL = `${BACKEND_URL}/hubspot/refresh`;
const RUN_URL = `${BACKEND_URL}/hubspot/refresh/run-1`;

interface Routes {
  status?: (call: Call) => Reply;
  refresh?: (call: Call) => Reply;
  run?: (call: Call) => Reply;
}

/** Renders the card for the renderer's mock contact (objectId 123) against a scripted backend. */
function renderCard(routes: Routes, sleep: Sleep = instantSleep) {
  const fetch = fakeFetch((call) => {
    if (call.url === STATUS_URL) return (routes.status ?? (() => ({ status: 200, body: FOUND_STATUS })))(call);
    if (call.url === REFRESH_URL && routes.refresh) return routes.refresh(call);
    if (call.url === RUN_URL && routes.run) return routes.run(call);
    throw new Error(`unexpected request ${call.url}`);
  });
  const renderer = createRenderer('crm.record.tab');
  renderer.render(<RefreshPanel context={renderer.mocks.context} fetch={fetch} sleep={sleep} />);
  const button = () => renderer.findByTestId(Button, 'refresh-button');
  const textOf = (testId: string) => renderer.findByTestId(Text, testId).text;
  const alertText = (testId: string) => renderer.findByTestId(Alert, testId).text;
  const statusLoaded = () =>
    renderer.waitFor(() => expect(renderer.maybeFindByTestId(LoadingSpinner, 'status-spinner')).toBeNull());
  return { ...renderer, fetch, button, textOf, alertText, statusLoaded };
}

const succeeded = { status: 200, body: { status: 'succeeded', runId: 'run-1', outcome: OUTCOME } };

describe('on load', () => {
  it('shows what the App du Moulin knows about the contact', async () => {
    const card = renderCard({});
    expect(card.findByTestId(LoadingSpinner, 'status-spinner')).toBeTruthy();
    await card.statusLoaded();
    // The portal's time zone in the renderer's mock context is America/New_York.
    expect(card.textOf('last-written')).toBe('12 Mar 2026, 10:05');
    expect(card.textOf('orders-in-app')).toBe('3');
    expect(card.textOf('deals-in-hubspot')).toBe('3');
    expect(card.textOf('customer-id')).toBe('C-0042');
    expect(card.maybeFindByTestId(Text, 'mismatch')).toBeNull();
    expect(card.maybeFindByTestId(Alert, 'status-reason')).toBeNull();
    expect(card.button().text).toBe(REFRESH_LABEL);
    expect(card.button().props.disabled).toBe(false);
    expect(card.fetch.calls[0].options).toMatchObject({ method: 'GET' });
  });

  it('shows why the contact is held back and when orders and deals differ', async () => {
    const card = renderCard({
      status: () => ({
        status: 200,
        body: { ...FOUND_STATUS, ordersInApp: 4, dealsInHubSpot: 2, reason: 'Two orders wait for payment.' },
      }),
    });
    await card.statusLoaded();
    expect(card.alertText('status-reason')).toBe('Two orders wait for payment.');
    expect(card.textOf('mismatch')).toMatch(/^4 orders in the App du Moulin but 2 deals in HubSpot/);
  });

  it.each([
    ['a 404', { status: 404, body: { error: 'not ours' } }],
    ['found: false', { status: 200, body: { objectId: '123', found: false, reason: null } }],
  ])('says in words that the contact is not ours on %s', async (_, reply) => {
    const card = renderCard({ status: () => reply });
    await card.statusLoaded();
    expect(card.textOf('not-ours')).toBe(NOT_OURS);
    expect(card.maybeFindByTestId(Text, 'orders-in-app')).toBeNull();
  });

  it('says why the status could not be loaded', async () => {
    const card = renderCard({ status: () => ({ status: 401, body: { error: 'bad signature' } }) });
    await card.statusLoaded();
    expect(card.alertText('status-error')).toBe(
      "The App du Moulin refused the request's signature: check the app's client secret in MOULIN_REFRESH_SECRET.",
    );
  });
});

describe('the refresh button', () => {
  it('shows what changed, then reloads the status', async () => {
    const statuses = inTurn(
      { status: 200, body: { ...FOUND_STATUS, dealsInHubSpot: 1 } },
      { status: 200, body: FOUND_STATUS },
    );
    const card = renderCard({ status: statuses, refresh: () => succeeded });
    await card.statusLoaded();
    expect(card.textOf('deals-in-hubspot')).toBe('1');

    card.button().trigger('onClick');
    await card.waitFor(() => expect(card.maybeFindByTestId(Alert, 'refresh-outcome')).not.toBeNull());
    expect(card.alertText('refresh-outcome')).toBe('Contact updated · 2 deals created, 1 updated · no duplicates');

    await card.statusLoaded();
    expect(card.textOf('deals-in-hubspot')).toBe('3');
    const post = card.fetch.calls.find((c) => c.url === REFRESH_URL);
    expect(post?.options).toMatchObject({ method: 'POST', body: { objectId: '123' } });
    expect(card.fetch.calls.filter((c) => c.url === STATUS_URL)).toHaveLength(2);
  });

  it('is disabled with a spinner while the refresh runs, and cannot start a second one', async () => {
    const answer = deferred<{ status: number; body?: unknown }>();
    const card = renderCard({ refresh: () => ({ wait: answer.promise }) });
    await card.statusLoaded();

    card.button().trigger('onClick');
    await card.waitFor(() => expect(card.button().props.disabled).toBe(true));
    expect(card.findByTestId(LoadingSpinner, 'refresh-spinner').props.label).toBe(
      'Refreshing from the App du Moulin…',
    );
    card.button().trigger('onClick');
    expect(card.fetch.calls.filter((c) => c.url === REFRESH_URL)).toHaveLength(1);

    answer.resolve(succeeded);
    await card.waitFor(() => expect(card.button().props.disabled).toBe(false));
    expect(card.maybeFindByTestId(LoadingSpinner, 'refresh-spinner')).toBeNull();
    expect(card.alertText('refresh-outcome')).toMatch(/^Contact updated/);
  });

  it('after a 202, polls the run until it succeeds and renders the outcome', async () => {
    // Hold the poll loop on its first sleep so the card can be seen mid-run.
    const firstSleep = deferred<void>();
    let sleeps = 0;
    const sleep = (ms: number) => {
      expect(ms).toBe(2_000);
      return sleeps++ === 0 ? firstSleep.promise : Promise.resolve();
    };
    const card = renderCard(
      {
        refresh: () => ({ status: 202, body: { status: 'running', runId: 'run-1' } }),
        run: inTurn(
          { status: 200, body: { runId: 'run-1', status: 'queued', outcome: null, error: null } },
          { status: 200, body: { runId: 'run-1', status: 'running', outcome: null, error: null } },
          {
            status: 200,
            body: {
              runId: 'run-1',
              status: 'succeeded',
              error: null,
              outcome: { ...OUTCOME, rejected: [{ record: 'order 1042', reason: 'no delivery date' }] },
            },
          },
        ),
      },
      sleep,
    );
    await card.statusLoaded();
    card.button().trigger('onClick');

    await card.waitFor(() =>
      expect(card.findByTestId(LoadingSpinner, 'refresh-spinner').props.label).toBe(
        'Still refreshing in the App du Moulin (run run-1)…',
      ),
    );
    expect(card.button().props.disabled).toBe(true);

    firstSleep.resolve();
    await card.waitFor(() => expect(card.maybeFindByTestId(Alert, 'refresh-outcome')).not.toBeNull());
    expect(card.alertText('refresh-outcome')).toBe(
      'Contact updated · 2 deals created, 1 updated · no duplicates · 1 rejected',
    );
    expect(card.findByTestId(List, 'rejected').findAll(Text).map((t) => t.text)).toEqual([
      'order 1042: no delivery date',
    ]);
    expect(card.fetch.calls.filter((c) => c.url === RUN_URL)).toHaveLength(3);
    expect(card.button().props.disabled).toBe(false);
  });

  it.each<[string, Routes, string]>([
    [
      '401',
      { refresh: () => ({ status: 401, body: { error: 'bad signature' } }) },
      "The App du Moulin refused the request's signature: check the app's client secret in MOULIN_REFRESH_SECRET.",
    ],
    [
      '429',
      { refresh: () => ({ status: 429, body: { error: 'slow down' } }) },
      'Too many refreshes at once, try again in a minute.',
    ],
    [
      '404',
      { refresh: () => ({ status: 404, body: { error: 'unknown contact' } }) },
      'This contact is not in the App du Moulin, so there is nothing to refresh from it.',
    ],
    [
      '503',
      { refresh: () => ({ status: 503 }) },
      'The App du Moulin refresh service is down or failing (HTTP 503); try again in a few minutes.',
    ],
    [
      'a timeout',
      { refresh: () => ({ reject: new Error('Request timed out after 15000ms') }) },
      'The App du Moulin did not answer in time; try again in a moment.',
    ],
    [
      'an unreachable service',
      { refresh: () => ({ reject: new TypeError('fetch failed') }) },
      'Could not reach the App du Moulin refresh service: it may be down, or BACKEND_URL in config.ts may be wrong.',
    ],
    [
      'a failed run',
      {
        refresh: () => ({ status: 202, body: { status: 'running', runId: 'run-1' } }),
        run: () => ({
          status: 200,
          body: { runId: 'run-1', status: 'failed', outcome: null, error: 'The App du Moulin database is locked.' },
        }),
      },
      'The refresh failed in the App du Moulin: The App du Moulin database is locked.',
    ],
  ])('puts %s into words', async (_, routes, sentence) => {
    const card = renderCard(routes);
    await card.statusLoaded();
    card.button().trigger('onClick');
    await card.waitFor(() => expect(card.maybeFindByTestId(Alert, 'refresh-error')).not.toBeNull());
    expect(card.alertText('refresh-error')).toBe(sentence);
    expect(card.maybeFindByTestId(Alert, 'refresh-outcome')).toBeNull();
    await card.waitFor(() => expect(card.button().props.disabled).toBe(false));
  });
});
