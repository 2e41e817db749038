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

export type NpsCategory = 'promoter' | 'passive' | 'detractor';

/** The customer's latest NPS answer (Typeform), as moulin-sync wrote it on the contact. */
export interface Nps {
  score: number;
  category: NpsCategory | null;
  submittedAt: string | null;
  comment: string | null;
}

/** One of the customer's open support tickets (Freshdesk), as moulin-sync wrote it in HubSpot. */
export interface SupportTicket {
  subject: string;
  status: string;
  createdAt: string | null;
  ageDays: number | null;
  url: string | null;
}

export interface ContactStatus {
  objectId: string;
  found: boolean;
  customerId: string | null;
  lastWrittenAt: string | null;
  ordersInApp: number;
  dealsInHubSpot: number;
  reason: string | null;
  /** Null when Typeform is not set up or the customer never answered. */
  nps: Nps | null;
  /** Null when Freshdesk is not set up; empty when no ticket is open. */
  tickets: SupportTicket[] | null;
}

/** A press joined to a refresh already running or just done, rather than launching one. */
export interface Joined {
  joined: boolean;
  /** How long ago the joined refresh had finished; null if it was still running. */
  finishedSecondsAgo: number | null;
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

export const FAILURE_KINDS = [
  'signature', // 401: the service refused HubSpot's request signature
  'notFound', // 404: from a service older than {found: false}
  'runLost', // 404 while polling: the service no longer knows the run
  'tooMany', // 429: from HubSpot's 20-request cap or from the service
  'serviceDown', // 5xx
  'timeout', // no answer in time
  'network', // could not reach the service at all
  'runFailed', // the run finished with status "failed"
  'stillRunning', // we stopped polling before the run finished
  'badResponse', // an answer outside the contract
] as const;

export type FailureKind = (typeof FAILURE_KINDS)[number];

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

/**
 * The contact is not one of our customers; or the refresh finished inside the first
 * request; or it gave us a run to poll.
 */
export type RefreshStart =
  | { found: false }
  | { found: true; done: true; runId: string; outcome: Outcome; joined: Joined }
  | { found: true; done: false; runId: string; joined: Joined };

/** POST /hubspot/refresh: 200 with the outcome or `found: false`, or 202 with a run to poll. */
export async function startRefresh(
  fetch: FetchLike,
  objectId: string,
): Promise<RefreshStart> {
  let body: unknown;
  try {
    ({ body } = await call(fetch, refreshUrl(), {
      method: 'POST',
      body: { objectId },
      timeout: REFRESH_TIMEOUT_MS,
    }));
  } catch (error) {
    // A 404 is how a service older than `found: false` said it.
    if (error instanceof MoulinError && error.kind === 'notFound') {
      return { found: false };
    }
    throw error;
  }
  if (field(body, 'found') === false) return { found: false };
  const run = parseRun(body);
  const joined = parseJoined(body);
  if (run.status === 'succeeded' && run.outcome) {
    return { found: true, done: true, runId: run.runId, outcome: run.outcome, joined };
  }
  if (run.status === 'failed') throw runFailed(run);
  if (run.status === 'queued' || run.status === 'running') {
    return { found: true, done: false, runId: run.runId, joined };
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

export type Refreshed =
  | { found: false }
  | { found: true; runId: string; outcome: Outcome; joined: Joined };

/** The whole button press: start the refresh, then poll if the service said 202. */
export async function refreshContact(
  objectId: string,
  options: PollOptions & { onRunning?: (runId: string) => void },
): Promise<Refreshed> {
  const start = await startRefresh(options.fetch, objectId);
  if (!start.found) return start;
  const { runId, joined } = start;
  if (start.done) return { found: true, runId, outcome: start.outcome, joined };
  options.onRunning?.(runId);
  const outcome = await waitForRun(runId, options);
  return { found: true, runId, outcome, joined };
}

/**
 * GET /hubspot/contact-status. `found: false` (or a 404, from an older service)
 * is an answer, not a failure: the contact is not one of ours.
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

export const notOurs = (
  objectId: string,
  reason: string | null = null,
): ContactStatus => ({
  objectId,
  found: false,
  customerId: null,
  lastWrittenAt: null,
  ordersInApp: 0,
  dealsInHubSpot: 0,
  reason,
  nps: null,
  tickets: null,
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
    nps: parseNps(field(body, 'nps')),
    tickets: parseTickets(field(body, 'tickets')),
  };
}

function parseTickets(v: unknown): SupportTicket[] | null {
  if (!Array.isArray(v)) return null;
  return v.map((item) => {
    const age = field(item, 'ageDays');
    const url = str(field(item, 'url'));
    return {
      subject: str(field(item, 'subject')) ?? '',
      status: str(field(item, 'status')) ?? '',
      createdAt: str(field(item, 'createdAt')),
      ageDays: typeof age === 'number' && Number.isFinite(age) && age >= 0 ? Math.floor(age) : null,
      // Only a web address is a link: anything else is left out.
      url: url && /^https?:\/\//.test(url) ? url : null,
    };
  });
}

const NPS_CATEGORIES: NpsCategory[] = ['promoter', 'passive', 'detractor'];

function parseNps(v: unknown): Nps | null {
  const score = field(v, 'score');
  if (typeof score !== 'number' || !Number.isInteger(score) || score < 0 || score > 10) {
    return null;
  }
  const category = field(v, 'category') as NpsCategory;
  return {
    score,
    category: NPS_CATEGORIES.includes(category) ? category : null,
    submittedAt: str(field(v, 'submittedAt')),
    comment: str(field(v, 'comment')),
  };
}

function parseJoined(body: unknown): Joined {
  const ago = field(body, 'finishedSecondsAgo');
  return {
    joined: field(body, 'joined') === true,
    finishedSecondsAgo: typeof ago === 'number' && ago >= 0 ? Math.floor(ago) : null,
  };
}

const runFailed = (run: RunStatus): MoulinError =>
  new MoulinError('runFailed', run.error ?? 'run failed', undefined, run.error, run.runId);
