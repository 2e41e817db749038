/**
 * Talking to the moulin-sync refresh service: URLs, the three calls, and the
 * polling loop. Plain TypeScript with no React and no HubSpot globals: the
 * fetch function and the sleep are passed in, so tests drive it directly.
 */
import type { HubSpotFetchOptions } from '@hubspot/ui-extensions';
import { BACKEND_URL } from './config';

// ---- What the service answers (its contract, not ours to change) ----------

export type Change = 'created' | 'updated' | 'unchanged';

/** A record the App du Moulin did not write to HubSpot, and why. */
export interface HeldRecord {
  record: string;
  reason: string;
}

export interface Outcome {
  contact: Change;
  company: Change | 'none';
  dealsCreated: number;
  dealsUpdated: number;
  dealsUnchanged: number;
  duplicatesFound: number;
  duplicatesMerged: number;
  rejected: HeldRecord[];
  waiting: HeldRecord[];
}

export type RunState = 'queued' | 'running' | 'succeeded' | 'failed';

export interface RunStatus {
  runId: string;
  status: RunState;
  outcome: Outcome | null;
  error: string | null;
}

export interface ContactStatus {
  objectId: string;
  found: boolean;
  customerId: string | null;
  lastWrittenAt: string | null;
  ordersInApp: number;
  dealsInHubSpot: number;
  reason: string | null;
}

// ---- Plumbing ---------------------------------------------------------------

/** The part of `hubspot.fetch` we use; `hubspot.fetch` itself fits it. */
export type FetchLike = (
  url: string,
  options?: HubSpotFetchOptions,
) => Promise<Pick<Response, 'status' | 'json'>>;

export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** HubSpot cuts every request at 15 s; the service promises a 200 or 202 within 10 s. */
export const REFRESH_TIMEOUT_MS = 15_000;
/** Status and poll reads are quick lookups: fail faster than HubSpot's 15 s. */
export const READ_TIMEOUT_MS = 10_000;
export const POLL_INTERVAL_MS = 2_000;
/** 60 polls, 2 s apart: about two minutes before the card stops waiting. */
export const MAX_POLLS = 60;
/** Poll failures in a row we ride out (a blip, a 429) before giving up. */
export const MAX_POLL_FAILURES_IN_A_ROW = 3;

export type FailureKind =
  | 'signature' // 401: the service refused HubSpot's request signature
  | 'notFound' // 404: the contact is not in the App du Moulin
  | 'runLost' // 404 while polling: the service no longer knows the run
  | 'tooMany' // 429: from HubSpot's 20-request cap or from the service
  | 'serviceDown' // 5xx
  | 'timeout' // no answer in time
  | 'network' // could not reach the service at all
  | 'runFailed' // the run finished with status "failed"
  | 'stillRunning' // we stopped polling before the run finished
  | 'badResponse'; // an answer outside the contract

/** Every failure the card can meet, sorted into a kind it can put into words. */
export class MoulinError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly status?: number,
    /** The run's own error sentence, for `runFailed`. */
    readonly runError?: string | null,
    readonly runId?: string,
  ) {
    super(message);
    this.name = 'MoulinError';
  }
}

// ---- URLs ---------------------------------------------------------------------

export const refreshUrl = (base: string = BACKEND_URL): string =>
  `${base}/hubspot/refresh`;

export const runUrl = (runId: string, base: string = BACKEND_URL): string =>
  `${base}/hubspot/refresh/${encodeURIComponent(runId)}`;

// HubSpot appends userId, userEmail, portalId and appId itself; the record id
// is ours to send.
export const contactStatusUrl = (
  objectId: string,
  base: string = BACKEND_URL,
): string =>
  `${base}/hubspot/contact-status?objectId=${encodeURIComponent(objectId)}`;

// ---- Calls --------------------------------------------------------------------

/** One request; a rejected promise or a non-2xx status becomes a MoulinError. */
async function call(
  fetch: FetchLike,
  url: string,
  options: HubSpotFetchOptions,
  notFound: FailureKind = 'notFound',
): Promise<{ status: number; body: unknown }> {
  let response: Pick<Response, 'status' | 'json'>;
  try {
    response = await fetch(url, options);
  } catch (error) {
    throw fromRejection(error);
  }
  const body = await response.json().catch(() => null);
  if (response.status >= 200 && response.status < 300) {
    return { status: response.status, body };
  }
  throw fromStatus(response.status, body, notFound);
}

function fromRejection(error: unknown): MoulinError {
  // hubspot.fetch's rejection for a timeout is not documented; match the
  // names and wording fetch implementations use for one.
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  if (
    name === 'AbortError' ||
    name === 'TimeoutError' ||
    /timed?[ -]?out/i.test(message)
  ) {
    return new MoulinError('timeout', message);
  }
  return new MoulinError('network', message);
}

function fromStatus(
  status: number,
  body: unknown,
  notFound: FailureKind,
): MoulinError {
  const said = field(body, 'error');
  const message = typeof said === 'string' ? said : `HTTP ${status}`;
  if (status === 401) return new MoulinError('signature', message, status);
  if (status === 404) return new MoulinError(notFound, message, status);
  if (status === 429) return new MoulinError('tooMany', message, status);
  if (status === 408 || status === 504) {
    return new MoulinError('timeout', message, status);
  }
  if (status >= 500) return new MoulinError('serviceDown', message, status);
  return new MoulinError('badResponse', message, status);
}

function field(body: unknown, name: string): unknown {
  return body !== null && typeof body === 'object'
    ? (body as Record<string, unknown>)[name]
    : undefined;
}

/** Either the refresh finished inside the first request, or it gave us a run to poll. */
export type RefreshStart =
  | { done: true; runId: string; outcome: Outcome }
  | { done: false; runId: string };

/** POST /hubspot/refresh: 200 with the outcome, or 202 with a run to poll. */
export async function startRefresh(
  fetch: FetchLike,
  objectId: string,
): Promise<RefreshStart> {
  const { body } = await call(fetch, refreshUrl(), {
    method: 'POST',
    body: { objectId },
    timeout: REFRESH_TIMEOUT_MS,
  });
  const run = parseRun(body);
  if (run.status === 'succeeded' && run.outcome) {
    return { done: true, runId: run.runId, outcome: run.outcome };
  }
  if (run.status === 'failed') throw runFailed(run);
  if (run.status === 'queued' || run.status === 'running') {
    return { done: false, runId: run.runId };
  }
  throw new MoulinError('badResponse', 'refresh answer without an outcome');
}

/** GET /hubspot/refresh/{runId} */
export async function getRun(fetch: FetchLike, runId: string): Promise<RunStatus> {
  const { body } = await call(
    fetch,
    runUrl(runId),
    { method: 'GET', timeout: READ_TIMEOUT_MS },
    'runLost',
  );
  return parseRun(body, runId);
}

// Failures worth one more poll: the run itself may well be fine.
const TRANSIENT: FailureKind[] = ['network', 'timeout', 'serviceDown', 'tooMany'];

export interface PollOptions {
  fetch: FetchLike;
  sleep: Sleep;
  /** Lets the card stop polling once it is gone from the page. */
  cancelled?: () => boolean;
  intervalMs?: number;
  maxPolls?: number;
}

/** Polls a run every 2 s until it succeeds (its outcome), fails, or ~2 minutes pass. */
export async function waitForRun(
  runId: string,
  {
    fetch,
    sleep,
    cancelled = () => false,
    intervalMs = POLL_INTERVAL_MS,
    maxPolls = MAX_POLLS,
  }: PollOptions,
): Promise<Outcome> {
  let failuresInARow = 0;
  for (let poll = 0; poll < maxPolls; poll++) {
    await sleep(intervalMs);
    if (cancelled()) break;
    let run: RunStatus;
    try {
      run = await getRun(fetch, runId);
      failuresInARow = 0;
    } catch (error) {
      const transient =
        error instanceof MoulinError && TRANSIENT.includes(error.kind);
      failuresInARow += 1;
      if (!transient || failuresInARow >= MAX_POLL_FAILURES_IN_A_ROW) throw error;
      continue;
    }
    if (run.status === 'succeeded') {
      if (run.outcome) return run.outcome;
      throw new MoulinError('badResponse', 'run succeeded without an outcome');
    }
    if (run.status === 'failed') throw runFailed(run);
  }
  throw new MoulinError(
    'stillRunning',
    `run ${runId} still running`,
    undefined,
    null,
    runId,
  );
}

/** The whole button press: start the refresh, then poll if the service said 202. */
export async function refreshContact(
  objectId: string,
  options: PollOptions & { onRunning?: (runId: string) => void },
): Promise<{ runId: string; outcome: Outcome }> {
  const start = await startRefresh(options.fetch, objectId);
  if (start.done) return start;
  options.onRunning?.(start.runId);
  const outcome = await waitForRun(start.runId, options);
  return { runId: start.runId, outcome };
}

/**
 * GET /hubspot/contact-status. A 404 (HubSpot's contact is not one of ours)
 * is an answer, not a failure, so it comes back as `found: false`.
 */
export async function loadContactStatus(
  fetch: FetchLike,
  objectId: string,
): Promise<ContactStatus> {
  try {
    const { body } = await call(fetch, contactStatusUrl(objectId), {
      method: 'GET',
      timeout: READ_TIMEOUT_MS,
    });
    return parseContactStatus(body, objectId);
  } catch (error) {
    if (error instanceof MoulinError && error.kind === 'notFound') {
      return notOurs(objectId, null);
    }
    throw error;
  }
}

// ---- Reading answers defensively: a half-deployed service must not crash the card.

const notOurs = (objectId: string, reason: string | null): ContactStatus => ({
  objectId,
  found: false,
  customerId: null,
  lastWrittenAt: null,
  ordersInApp: 0,
  dealsInHubSpot: 0,
  reason,
});

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const int = (v: unknown): number =>
  typeof v === 'number' && Number.isFinite(v) ? v : 0;

function parseRun(body: unknown, knownRunId?: string): RunStatus {
  const status = field(body, 'status');
  const runId = str(field(body, 'runId')) ?? knownRunId;
  if (!runId || !['queued', 'running', 'succeeded', 'failed'].includes(status as string)) {
    throw new MoulinError('badResponse', 'answer without a runId and a known status');
  }
  const outcome = field(body, 'outcome');
  return {
    runId,
    status: status as RunState,
    outcome: outcome && typeof outcome === 'object' ? parseOutcome(outcome) : null,
    error: str(field(body, 'error')),
  };
}

function parseHeld(v: unknown): HeldRecord[] {
  if (!Array.isArray(v)) return [];
  return v.map((item) => ({
    record: str(field(item, 'record')) ?? '?',
    reason: str(field(item, 'reason')) ?? 'no reason given',
  }));
}

export function parseOutcome(o: unknown): Outcome {
  const change = (v: unknown): Change =>
    v === 'created' || v === 'updated' ? v : 'unchanged';
  const company = field(o, 'company');
  return {
    contact: change(field(o, 'contact')),
    company: company === 'none' || company == null ? 'none' : change(company),
    dealsCreated: int(field(o, 'dealsCreated')),
    dealsUpdated: int(field(o, 'dealsUpdated')),
    dealsUnchanged: int(field(o, 'dealsUnchanged')),
    duplicatesFound: int(field(o, 'duplicatesFound')),
    duplicatesMerged: int(field(o, 'duplicatesMerged')),
    rejected: parseHeld(field(o, 'rejected')),
    waiting: parseHeld(field(o, 'waiting')),
  };
}

function parseContactStatus(body: unknown, objectId: string): ContactStatus {
  if (field(body, 'found') !== true) {
    return notOurs(objectId, str(field(body, 'reason')));
  }
  return {
    objectId: str(field(body, 'objectId')) ?? objectId,
    found: true,
    customerId: str(field(body, 'customerId')),
    lastWrittenAt: str(field(body, 'lastWrittenAt')),
    ordersInApp: int(field(body, 'ordersInApp')),
    dealsInHubSpot: int(field(body, 'dealsInHubSpot')),
    reason: str(field(body, 'reason')),
  };
}

const runFailed = (run: RunStatus): MoulinError =>
  new MoulinError('runFailed', run.error ?? 'run failed', undefined, run.error, run.runId);
