/**
 * A stand-in for `hubspot.fetch` that answers from a script, records every
 * request, and can hold an answer back so a test sees the card mid-flight.
 */
import type { HubSpotFetchOptions } from '@hubspot/ui-extensions';
import type { ContactStatus, FetchLike, Nps, Outcome } from '../src/app/cards/moulin-api';

export interface Call {
  url: string;
  options?: HubSpotFetchOptions;
}

/** An answer: a status and JSON body, a rejection (network, timeout), or a pending promise. */
export type Reply =
  | { status: number; body?: unknown }
  | { reject: Error }
  | { wait: Promise<{ status: number; body?: unknown }> };

type Route = (call: Call) => Reply;

export function fakeFetch(route: Route): FetchLike & { calls: Call[] } {
  const calls: Call[] = [];
  const fetch = async (url: string, options?: HubSpotFetchOptions) => {
    const call = { url, options };
    calls.push(call);
    let reply = route(call);
    if ('reject' in reply) throw reply.reject;
    if ('wait' in reply) reply = await reply.wait;
    return new Response(reply.body === undefined ? null : JSON.stringify(reply.body), {
      status: reply.status,
      headers: { 'content-type': 'application/json' },
    });
  };
  return Object.assign(fetch, { calls });
}

/** Answers a route's successive calls in order, repeating the last answer. */
export function inTurn(...replies: Reply[]): () => Reply {
  let i = 0;
  return () => replies[Math.min(i++, replies.length - 1)];
}

export function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export const instantSleep = async () => {};

export const OUTCOME: Outcome = {
  contact: 'updated',
  company: 'unchanged',
  dealsCreated: 2,
  dealsUpdated: 1,
  dealsUnchanged: 0,
  duplicatesFound: 0,
  duplicatesMerged: 0,
  rejected: [],
  waiting: [],
};

export const FOUND_STATUS: ContactStatus = {
  objectId: '123',
  found: true,
  customerId: 'C-0042',
  lastWrittenAt: '2026-03-12T14:05:00Z',
  ordersInApp: 3,
  dealsInHubSpot: 3,
  reason: null,
  nps: null,
  tickets: null,
};

export const NPS: Nps = {
  score: 9,
  category: 'promoter',
  submittedAt: '2026-10-01T09:00:00.000Z',
  comment: 'Le pain est parfait.\nLa livraison, un peu lente.',
};

/** What the service answers for a contact that is not one of our customers. */
export const NOT_FOUND = { found: false, reason: 'HubSpot contact 123 is not a customer moulin-sync knows' };
