import { describe, expect, it } from 'vitest';
import { BACKEND_URL } from '../src/app/cards/config';
import {
  contactStatusUrl,
  loadContactStatus,
  MAX_POLLS,
  MoulinError,
  POLL_INTERVAL_MS,
  READ_TIMEOUT_MS,
  REFRESH_TIMEOUT_MS,
  refreshContact,
  refreshUrl,
  runUrl,
  startRefresh,
  waitForRun,
  type FailureKind,
} from '../src/app/cards/moulin-api';
import { FOUND_STATUS, NOT_FOUND, NPS, OUTCOME, fakeFetch, inTurn, instantSleep } from './fake-backend';

const running = (runId = 'run-1') => ({ status: 202, body: { status: 'running', runId } });
const LAUNCHED = { joined: false, finishedSecondsAgo: null };
const poll = (status: string, extra: object = {}) => ({
  status: 200,
  body: { runId: 'run-1', status, outcome: null, error: null, ...extra },
});

async function kindOf(promise: Promise<unknown>): Promise<FailureKind> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MoulinError) return error.kind;
    throw error;
  }
  throw new Error('expected a MoulinError');
}

describe('URLs', () => {
  it('are built on BACKEND_URL exactly as the service expects', () => {
    expect(refreshUrl()).toBe(`${BACKEND_URL}/hubspot/refresh`);
    expect(runUrl('run-1')).toBe(`${BACKEND_URL}/hubspot/refresh/run-1`);
    expect(contactStatusUrl('123')).toBe(`${BACKEND_URL}/hubspot/contact-status?objectId=123`);
  });

  it('escape ids so a strange one cannot change the path or query', () => {
    expect(runUrl('a/b?c')).toBe(`${BACKEND_URL}/hubspot/refresh/a%2Fb%3Fc`);
    expect(contactStatusUrl('1&x=2')).toBe(`${BACKEND_URL}/hubspot/contact-status?objectId=1%26x%3D2`);
  });
});

describe('startRefresh', () => {
  it('POSTs the record id as a string and stays within HubSpot 15 s limit', async () => {
    const fetch = fakeFetch(() => ({
      status: 200,
      body: { status: 'succeeded', runId: 'run-1', outcome: OUTCOME },
    }));
    const start = await startRefresh(fetch, '123');
    expect(start).toEqual({ found: true, done: true, runId: 'run-1', outcome: OUTCOME, joined: LAUNCHED });
    expect(fetch.calls).toEqual([
      {
        url: `${BACKEND_URL}/hubspot/refresh`,
        options: { method: 'POST', body: { objectId: '123' }, timeout: REFRESH_TIMEOUT_MS },
      },
    ]);
    expect(REFRESH_TIMEOUT_MS).toBeLessThanOrEqual(15_000);
  });

  it('hands back the run to poll on a 202', async () => {
    const fetch = fakeFetch(() => running('run-9'));
    expect(await startRefresh(fetch, '123')).toEqual({ found: true, done: false, runId: 'run-9', joined: LAUNCHED });
  });

  it('says when the press joined a refresh, and how long ago that one finished', async () => {
    const joined = (extra: object) =>
      fakeFetch(() => ({
        status: 200,
        body: { found: true, status: 'succeeded', runId: 'run-1', outcome: OUTCOME, launched: false, joined: true, ...extra },
      }));
    expect(await startRefresh(joined({ finishedSecondsAgo: 12 }), '123')).toMatchObject({
      joined: { joined: true, finishedSecondsAgo: 12 },
    });
    expect(await startRefresh(joined({ finishedSecondsAgo: null }), '123')).toMatchObject({
      joined: { joined: true, finishedSecondsAgo: null },
    });
  });

  it('answers found: false for a contact that is not ours: a 200, or a 404 from an older service', async () => {
    expect(await startRefresh(fakeFetch(() => ({ status: 200, body: NOT_FOUND })), '123')).toEqual({ found: false });
    expect(await startRefresh(fakeFetch(() => ({ status: 404, body: { error: 'unknown' } })), '123')).toEqual({
      found: false,
    });
  });

  it.each<[number, FailureKind]>([
    [401, 'signature'],
    [429, 'tooMany'],
    [500, 'serviceDown'],
    [502, 'serviceDown'],
    [503, 'serviceDown'],
    [504, 'timeout'],
    [400, 'badResponse'],
  ])('turns HTTP %i into %s', async (status, kind) => {
    const fetch = fakeFetch(() => ({ status, body: { error: 'said the service' } }));
    expect(await kindOf(startRefresh(fetch, '123'))).toBe(kind);
  });

  it('keeps the service error sentence as the message', async () => {
    const fetch = fakeFetch(() => ({ status: 401, body: { error: 'bad signature v3' } }));
    await expect(startRefresh(fetch, '123')).rejects.toThrow('bad signature v3');
  });

  it('tells a timeout from a service it cannot reach', async () => {
    const timeout = Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
    expect(await kindOf(startRefresh(fakeFetch(() => ({ reject: timeout })), '1'))).toBe('timeout');
    expect(
      await kindOf(startRefresh(fakeFetch(() => ({ reject: new Error('Request timed out') })), '1')),
    ).toBe('timeout');
    expect(
      await kindOf(startRefresh(fakeFetch(() => ({ reject: new TypeError('fetch failed') })), '1')),
    ).toBe('network');
  });

  it('refuses a 200 that carries no outcome, and a run that failed at once', async () => {
    expect(
      await kindOf(startRefresh(fakeFetch(() => ({ status: 200, body: { hello: 1 } })), '1')),
    ).toBe('badResponse');
    expect(
      await kindOf(startRefresh(fakeFetch(() => ({ status: 200, body: 'not json' })), '1')),
    ).toBe('badResponse');
    expect(
      await kindOf(
        startRefresh(
          fakeFetch(() => ({ status: 200, body: { status: 'failed', runId: 'r', error: 'boom' } })),
          '1',
        ),
      ),
    ).toBe('runFailed');
  });
});

describe('waitForRun', () => {
  it('polls GET /hubspot/refresh/{runId} every 2 s until the run succeeds', async () => {
    const fetch = fakeFetch(inTurn(poll('queued'), poll('running'), poll('succeeded', { outcome: OUTCOME })));
    const slept: number[] = [];
    const outcome = await waitForRun('run-1', {
      fetch,
      sleep: async (ms) => void slept.push(ms),
    });
    expect(outcome).toEqual(OUTCOME);
    expect(slept).toEqual([POLL_INTERVAL_MS, POLL_INTERVAL_MS, POLL_INTERVAL_MS]);
    expect(POLL_INTERVAL_MS).toBe(2_000);
    expect(fetch.calls.map((c) => c.url)).toEqual(Array(3).fill(`${BACKEND_URL}/hubspot/refresh/run-1`));
    expect(fetch.calls[0].options).toEqual({ method: 'GET', timeout: READ_TIMEOUT_MS });
  });

  it('carries the run error sentence when the run fails', async () => {
    const fetch = fakeFetch(inTurn(poll('running'), poll('failed', { error: 'The App du Moulin database is locked.' })));
    const error = await waitForRun('run-1', { fetch, sleep: instantSleep }).catch((e) => e);
    expect(error).toBeInstanceOf(MoulinError);
    expect(error.kind).toBe('runFailed');
    expect(error.runError).toBe('The App du Moulin database is locked.');
  });

  it('gives up after about two minutes of "running"', async () => {
    const fetch = fakeFetch(() => poll('running'));
    expect(await kindOf(waitForRun('run-1', { fetch, sleep: instantSleep }))).toBe('stillRunning');
    expect(fetch.calls).toHaveLength(MAX_POLLS);
    expect(MAX_POLLS * POLL_INTERVAL_MS).toBe(120_000);
  });

  it('rides out a transient poll failure', async () => {
    const fetch = fakeFetch(
      inTurn({ status: 503 }, { reject: new TypeError('fetch failed') }, poll('succeeded', { outcome: OUTCOME })),
    );
    expect(await waitForRun('run-1', { fetch, sleep: instantSleep })).toEqual(OUTCOME);
  });

  it('stops after three transient failures in a row', async () => {
    const fetch = fakeFetch(() => ({ status: 503 }));
    expect(await kindOf(waitForRun('run-1', { fetch, sleep: instantSleep }))).toBe('serviceDown');
    expect(fetch.calls).toHaveLength(3);
  });

  it('stops at once on a refused signature or an unknown run', async () => {
    expect(await kindOf(waitForRun('run-1', { fetch: fakeFetch(() => ({ status: 401 })), sleep: instantSleep }))).toBe(
      'signature',
    );
    expect(await kindOf(waitForRun('run-1', { fetch: fakeFetch(() => ({ status: 404 })), sleep: instantSleep }))).toBe(
      'runLost',
    );
  });

  it('stops polling once cancelled', async () => {
    const fetch = fakeFetch(() => poll('running'));
    let polls = 0;
    const result = waitForRun('run-1', {
      fetch,
      sleep: instantSleep,
      cancelled: () => ++polls > 2,
    });
    expect(await kindOf(result)).toBe('stillRunning');
    expect(fetch.calls).toHaveLength(2);
  });
});

describe('refreshContact', () => {
  it('goes from a 202 to polling and returns the outcome', async () => {
    const fetch = fakeFetch(({ options }) =>
      options?.method === 'POST' ? running('run-7') : poll('succeeded', { runId: 'run-7', outcome: OUTCOME }),
    );
    const seen: string[] = [];
    const result = await refreshContact('123', { fetch, sleep: instantSleep, onRunning: (id) => seen.push(id) });
    expect(result).toEqual({ found: true, runId: 'run-7', outcome: OUTCOME, joined: LAUNCHED });
    expect(seen).toEqual(['run-7']);
    expect(fetch.calls.map((c) => c.url)).toEqual([
      `${BACKEND_URL}/hubspot/refresh`,
      `${BACKEND_URL}/hubspot/refresh/run-7`,
    ]);
  });
});

describe('loadContactStatus', () => {
  it('reads the status of a contact of ours', async () => {
    const fetch = fakeFetch(() => ({ status: 200, body: FOUND_STATUS }));
    expect(await loadContactStatus(fetch, '123')).toEqual(FOUND_STATUS);
    expect(fetch.calls[0]).toEqual({
      url: `${BACKEND_URL}/hubspot/contact-status?objectId=123`,
      options: { method: 'GET', timeout: READ_TIMEOUT_MS },
    });
  });

  it('treats a 404 and a 200 with found: false alike, as not ours', async () => {
    const a = await loadContactStatus(fakeFetch(() => ({ status: 404, body: { error: 'unknown' } })), '5');
    const b = await loadContactStatus(
      fakeFetch(() => ({ status: 200, body: { objectId: '5', found: false, reason: 'no email match' } })),
      '5',
    );
    expect(a.found).toBe(false);
    expect(b).toMatchObject({ found: false, reason: 'no email match' });
  });

  it('still fails on a real error', async () => {
    expect(await kindOf(loadContactStatus(fakeFetch(() => ({ status: 401 })), '5'))).toBe('signature');
  });

  it("reads the customer's latest NPS answer, and none when there is none or it is garbled", async () => {
    const withNps = (nps: unknown) => loadContactStatus(fakeFetch(() => ({ status: 200, body: { ...FOUND_STATUS, nps } })), '123');
    expect((await withNps(NPS)).nps).toEqual(NPS);
    expect((await withNps(null)).nps).toBeNull();
    expect((await withNps(undefined)).nps).toBeNull();
    expect((await withNps({ score: 'nine' })).nps).toBeNull();
    expect((await withNps({ score: 11 })).nps).toBeNull();
    expect((await withNps({ score: 0, category: 'fan' })).nps).toEqual({
      score: 0,
      category: null,
      submittedAt: null,
      comment: null,
    });
  });

  it("reads the customer's open tickets, none when Freshdesk is off, and leaves out a link that is no web address", async () => {
    const withTickets = (tickets: unknown) =>
      loadContactStatus(fakeFetch(() => ({ status: 200, body: { ...FOUND_STATUS, tickets } })), '123');
    expect((await withTickets(undefined)).tickets).toBeNull();
    expect((await withTickets([])).tickets).toEqual([]);
    const ticket = { subject: 'Pain rassis', status: 'Open', createdAt: '2026-10-01T09:00:00+00:00', ageDays: 3, url: 'https://lemoulin.freshdesk.com/a/tickets/1' };
    expect((await withTickets([ticket])).tickets).toEqual([ticket]);
    expect((await withTickets([{ ...ticket, url: 'javascript:alert(1)', ageDays: -2 }])).tickets).toEqual([
      { ...ticket, url: null, ageDays: null },
    ]);
  });
});
