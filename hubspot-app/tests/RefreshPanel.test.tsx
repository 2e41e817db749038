/**
 * The card as HubSpot would render it, through @hubspot/ui-extensions/testing,
 * with a fake hubspot.fetch standing in for the moulin-sync service.
 */
import { describe, expect, it } from 'vitest';
import { Alert, Button, Flex, Link, List, LoadingSpinner, StatusTag, Text } from '@hubspot/ui-extensions';
import { createRenderer } from '@hubspot/ui-extensions/testing';
import { BACKEND_URL } from '../src/app/cards/config';
import { REFRESH_LABEL, RefreshPanel } from '../src/app/cards/RefreshPanel';
import type { Sleep } from '../src/app/cards/moulin-api';
import { NOT_OURS } from '../src/app/cards/sentences';
import {
  FOUND_STATUS,
  NOT_FOUND,
  NPS,
  OUTCOME,
  deferred,
  fakeFetch,
  inTurn,
  instantSleep,
  type Call,
  type Reply,
} from './fake-backend';
import { expectPlainWords } from './plain-words';

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
  const noButton = () => renderer.maybeFindByTestId(Button, 'refresh-button') === null;
  const textOf = (testId: string) => renderer.findByTestId(Text, testId).text;
  const alertText = (testId: string) => renderer.findByTestId(Alert, testId).text;
  const statusLoaded = () =>
    renderer.waitFor(() => expect(renderer.maybeFindByTestId(LoadingSpinner, 'status-spinner')).toBeNull());
  return { ...renderer, fetch, button, noButton, textOf, alertText, statusLoaded };
}

const succeeded = {
  status: 200,
  body: { found: true, status: 'succeeded', runId: 'run-1', outcome: OUTCOME, launched: true, joined: false },
};

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
    expect(card.maybeFindByTestId(Text, 'nps-score')).toBeNull();
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

  it("shows the customer's latest NPS answer: score, category, day and comment", async () => {
    const card = renderCard({ status: () => ({ status: 200, body: { ...FOUND_STATUS, nps: NPS } }) });
    await card.statusLoaded();
    expect(card.textOf('nps-score')).toBe('9 / 10');
    expect(card.findByTestId(StatusTag, 'nps-category').text).toBe('Promoter');
    expect(card.findByTestId(StatusTag, 'nps-category').props.variant).toBe('success');
    expect(card.textOf('nps-date')).toBe('1 Oct 2026');
    expect(card.findByTestId(Flex, 'nps-comment').findAll(Text).map((t) => t.text)).toEqual([
      'Le pain est parfait.',
      'La livraison, un peu lente.',
    ]);
  });

  it("lists the customer's open support tickets: subject as a link, status, age", async () => {
    const tickets = [
      { subject: 'Pain rassis', status: 'Open', createdAt: '2026-10-01T09:00:00+00:00', ageDays: 3, url: 'https://lemoulin.freshdesk.com/a/tickets/1' },
      { subject: 'Sans lien', status: 'custom status 6', createdAt: null, ageDays: 0, url: null },
    ];
    const card = renderCard({ status: () => ({ status: 200, body: { ...FOUND_STATUS, tickets } }) });
    await card.statusLoaded();
    const list = card.findByTestId(List, 'open-tickets');
    expect(list.findAll(Link).map((l) => [l.text, l.props.href])).toEqual([
      ['Pain rassis', 'https://lemoulin.freshdesk.com/a/tickets/1'],
    ]);
    const texts = list.findAll(Text).map((t) => t.text);
    expect(texts).toEqual(['opened 3 days ago', 'Sans lien', 'opened today']);
    expect(list.findAll(StatusTag).map((t) => t.text)).toEqual(['Open', 'custom status 6']);
  });

  it('says when no ticket is open, and shows nothing of tickets when Freshdesk is off', async () => {
    const none = renderCard({ status: () => ({ status: 200, body: { ...FOUND_STATUS, tickets: [] } }) });
    await none.statusLoaded();
    expect(none.textOf('no-open-tickets')).toBe('No open support ticket.');
    const off = renderCard({});
    await off.statusLoaded();
    expect(off.maybeFindByTestId(Text, 'no-open-tickets')).toBeNull();
    expect(off.maybeFindByTestId(List, 'open-tickets')).toBeNull();
  });

  it('shows a detractor without comment, and no category it does not know', async () => {
    const nps = { ...NPS, score: 3, category: 'detractor', comment: null };
    const card = renderCard({ status: () => ({ status: 200, body: { ...FOUND_STATUS, nps } }) });
    await card.statusLoaded();
    expect(card.textOf('nps-score')).toBe('3 / 10');
    expect(card.findByTestId(StatusTag, 'nps-category').props.variant).toBe('danger');
    expect(card.maybeFindByTestId(Flex, 'nps-comment')).toBeNull();
  });

  it.each([
    ['found: false (a 200)', { status: 200, body: { ...NOT_FOUND, objectId: '123' } }],
    ['a 404 from an older service', { status: 404, body: { error: 'not ours' } }],
  ])('says in words that the contact is not a customer, and hides the button, on %s', async (_, reply) => {
    const card = renderCard({ status: () => reply });
    await card.statusLoaded();
    expect(card.textOf('not-ours')).toBe(NOT_OURS);
    expect(NOT_OURS).toMatch(/not a customer moulin-sync knows/);
    expect(card.maybeFindByTestId(Text, 'orders-in-app')).toBeNull();
    expect(card.noButton()).toBe(true);
  });

  it('says why the status could not be loaded, in plain words, and keeps the button', async () => {
    const card = renderCard({
      status: () => ({ status: 401, body: { error: 'not a request signed by HubSpot: check MOULIN_REFRESH_SECRET' } }),
    });
    await card.statusLoaded();
    expect(card.alertText('status-error')).toMatch(/^The App du Moulin did not recognise this request/);
    expectPlainWords(card.alertText('status-error'));
    expect(card.noButton()).toBe(false);
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
        'Still refreshing from the App du Moulin…',
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

  it('says "already refreshed N s ago" when the press joined a refresh that had just finished', async () => {
    const joined = { ...succeeded.body, launched: false, joined: true, finishedSecondsAgo: 12 };
    const card = renderCard({ refresh: () => ({ status: 200, body: joined }) });
    await card.statusLoaded();
    card.button().trigger('onClick');
    await card.waitFor(() => expect(card.maybeFindByTestId(Alert, 'refresh-outcome')).not.toBeNull());
    const outcome = card.findByTestId(Alert, 'refresh-outcome');
    expect(outcome.props.title).toBe('Already refreshed 12 s ago');
    expect(outcome.text).toBe('Contact updated · 2 deals created, 1 updated · no duplicates');
  });

  it('says so when the press joined a refresh still under way, then shows what it changed', async () => {
    const card = renderCard({
      refresh: () => ({
        status: 202,
        body: { found: true, status: 'running', runId: 'run-1', launched: false, joined: true, finishedSecondsAgo: null },
      }),
      run: () => ({ status: 200, body: { runId: 'run-1', status: 'succeeded', error: null, outcome: OUTCOME } }),
    });
    await card.statusLoaded();
    card.button().trigger('onClick');
    await card.waitFor(() => expect(card.maybeFindByTestId(Alert, 'refresh-outcome')).not.toBeNull());
    expect(card.findByTestId(Alert, 'refresh-outcome').props.title).toBe(
      'A refresh of this contact was already under way; this is what it changed',
    );
  });

  it.each([
    ['found: false (a 200)', { status: 200, body: NOT_FOUND }],
    ['a 404 from an older service', { status: 404, body: { error: 'unknown contact' } }],
  ])('hides the button and says the contact is not a customer when the press gets %s', async (_, reply) => {
    const card = renderCard({ refresh: () => reply });
    await card.statusLoaded();
    card.button().trigger('onClick');
    await card.waitFor(() => expect(card.noButton()).toBe(true));
    expect(card.textOf('not-ours')).toBe(NOT_OURS);
    expect(card.maybeFindByTestId(Alert, 'refresh-error')).toBeNull();
    expect(card.maybeFindByTestId(Text, 'orders-in-app')).toBeNull();
  });

  // Each as the service or HubSpot may say it, with the technical words the card must not repeat.
  const TECHNICAL = { error: 'not a request signed by HubSpot: check MOULIN_REFRESH_SECRET' };
  it.each<[string, Routes, string]>([
    [
      '401',
      { refresh: () => ({ status: 401, body: TECHNICAL }) },
      'The App du Moulin did not recognise this request as coming from HubSpot, so nothing was done. Try again in a few minutes; if it keeps happening, tell whoever looks after the App du Moulin connection.',
    ],
    [
      '429',
      { refresh: () => ({ status: 429, body: { error: 'slow down' } }) },
      'Too many refreshes at once, try again in a minute.',
    ],
    [
      '503',
      { refresh: () => ({ status: 503, body: TECHNICAL }) },
      'The App du Moulin is not answering properly right now. Try again in a few minutes; if it keeps happening, tell whoever looks after the App du Moulin connection.',
    ],
    [
      'a timeout',
      { refresh: () => ({ reject: new Error('Request timed out after 15000ms') }) },
      'The App du Moulin did not answer in time; try again in a moment.',
    ],
    [
      'an unreachable service',
      { refresh: () => ({ reject: new TypeError('fetch failed') }) },
      'Could not reach the App du Moulin. Try again in a few minutes; if it keeps happening, tell whoever looks after the App du Moulin connection.',
    ],
    [
      'a failed run',
      {
        refresh: () => ({ status: 202, body: { status: 'running', runId: 'run-1' } }),
        run: () => ({
          status: 200,
          body: { runId: 'run-1', status: 'failed', outcome: null, error: 'HUBSPOT_ACCESS_TOKEN is refused (401)' },
        }),
      },
      'The refresh did not go through in the App du Moulin. Try again in a few minutes; if it keeps happening, tell whoever looks after the App du Moulin connection.',
    ],
    [
      'an answer it cannot read',
      { refresh: () => ({ status: 200, body: { hello: 'MOULIN_REFRESH_PUBLIC_URL' } }) },
      'The App du Moulin gave an answer this card cannot read. Reload the page; if it keeps happening, tell whoever looks after the App du Moulin connection.',
    ],
  ])('puts %s into plain words', async (_, routes, sentence) => {
    const card = renderCard(routes);
    await card.statusLoaded();
    card.button().trigger('onClick');
    await card.waitFor(() => expect(card.maybeFindByTestId(Alert, 'refresh-error')).not.toBeNull());
    expect(card.alertText('refresh-error')).toBe(sentence);
    expectPlainWords(card.alertText('refresh-error'));
    expectPlainWords(card.findByTestId(Alert, 'refresh-error').props.title);
    expect(card.maybeFindByTestId(Alert, 'refresh-outcome')).toBeNull();
    await card.waitFor(() => expect(card.button().props.disabled).toBe(false));
  });
});
