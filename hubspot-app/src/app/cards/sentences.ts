/**
 * Everything the card says, in words. Pure functions so each sentence is
 * tested directly and the component only arranges them.
 */
import { MoulinError, type ContactStatus, type HeldRecord, type Outcome } from './moulin-api';

const plural = (n: number, one: string, many: string): string =>
  `${n} ${n === 1 ? one : many}`;

/** e.g. "Contact updated · 2 deals created, 1 updated · no duplicates" */
export function describeOutcome(outcome: Outcome): string {
  let people = `Contact ${outcome.contact}`;
  // An unchanged or absent company is not news; say it only when written.
  if (outcome.company === 'created' || outcome.company === 'updated') {
    people += `, company ${outcome.company}`;
  }
  const parts = [people, describeDeals(outcome), describeDuplicates(outcome)];
  if (outcome.rejected.length > 0) parts.push(`${outcome.rejected.length} rejected`);
  if (outcome.waiting.length > 0) parts.push(`${outcome.waiting.length} waiting`);
  return parts.join(' · ');
}

export function describeDeals(o: Outcome): string {
  const counts: Array<[number, string]> = [
    [o.dealsCreated, 'created'],
    [o.dealsUpdated, 'updated'],
    [o.dealsUnchanged, 'unchanged'],
  ];
  const said = counts.filter(([n]) => n > 0);
  if (said.length === 0) return 'no deals';
  // The noun goes on the first count only: "2 deals created, 1 updated".
  return said
    .map(([n, verb], i) => (i === 0 ? `${plural(n, 'deal', 'deals')} ${verb}` : `${n} ${verb}`))
    .join(', ');
}

export function describeDuplicates(o: Outcome): string {
  const found = o.duplicatesFound;
  if (found === 0) return 'no duplicates';
  const noun = plural(found, 'duplicate', 'duplicates');
  if (o.duplicatesMerged === 0) return `${noun} found, none merged`;
  if (o.duplicatesMerged >= found) return `${noun} found and merged`;
  return `${noun} found, ${o.duplicatesMerged} merged`;
}

/** One line per record the App du Moulin held back: "order 1042: no delivery date". */
export const describeHeld = (held: HeldRecord[]): string[] =>
  held.map(({ record, reason }) => `${record}: ${reason}`);

/** Turns any failure into the sentence a HubSpot user sees. */
export function describeError(error: unknown): string {
  if (!(error instanceof MoulinError)) {
    const message = error instanceof Error ? error.message : String(error);
    return `Something went wrong in the card: ${message}`;
  }
  switch (error.kind) {
    case 'signature':
      return "The App du Moulin refused the request's signature: check the app's client secret in MOULIN_REFRESH_SECRET.";
    case 'notFound':
      return 'This contact is not in the App du Moulin, so there is nothing to refresh from it.';
    case 'runLost':
      return `The App du Moulin no longer knows this refresh (run ${error.runId ?? 'unknown'}); try again.`;
    case 'tooMany':
      return 'Too many refreshes at once, try again in a minute.';
    case 'serviceDown':
      return `The App du Moulin refresh service is down or failing (HTTP ${error.status ?? '5xx'}); try again in a few minutes.`;
    case 'timeout':
      return 'The App du Moulin did not answer in time; try again in a moment.';
    case 'network':
      return 'Could not reach the App du Moulin refresh service: it may be down, or BACKEND_URL in config.ts may be wrong.';
    case 'runFailed':
      return `The refresh failed in the App du Moulin: ${error.runError ?? 'it gave no reason.'}`;
    case 'stillRunning':
      return 'The refresh is still running after two minutes; reload this card later to see what it changed.';
    case 'badResponse':
      return `The App du Moulin answered in a way this card does not understand (${error.message}); the card and the service may be out of step.`;
  }
}

/** "12 Mar 2026, 10:05" in the portal's time zone, or "never". */
export function describeLastWritten(iso: string | null, timeZone?: string): string {
  if (!iso) return 'never';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  try {
    return new Intl.DateTimeFormat('en-GB', {
      dateStyle: 'medium',
      timeStyle: 'short',
      timeZone,
    }).format(date);
  } catch {
    // An unknown time zone name: fall back to UTC rather than show nothing.
    return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  }
}

/** Null when the counts agree; otherwise why they may not. */
export function describeMismatch(status: ContactStatus): string | null {
  if (status.ordersInApp === status.dealsInHubSpot) return null;
  return `${plural(status.ordersInApp, 'order', 'orders')} in the App du Moulin but ${plural(
    status.dealsInHubSpot,
    'deal',
    'deals',
  )} in HubSpot: a refresh should bring them in line, unless some are rejected or waiting.`;
}

export const NOT_OURS =
  "This contact is not one of the App du Moulin's customers, so the App du Moulin has nothing to write here.";
