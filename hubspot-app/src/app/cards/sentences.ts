/**
 * Everything the card says, in words. Pure functions so each sentence is
 * tested directly and the component only arranges them. The card is read by
 * salespeople: no setting names, status codes or run ids here; those are in
 * the service's logs and docs.
 */
import {
  MoulinError,
  type ContactStatus,
  type HeldRecord,
  type Joined,
  type NpsCategory,
  type Outcome,
} from './moulin-api';

const ASK_FOR_HELP = 'if it keeps happening, tell whoever looks after the App du Moulin connection.';

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

/**
 * Turns any failure into the sentence a salesperson sees. The technical
 * reason (the service's own message, the run's error) is in the service's
 * logs, never quoted here: it may name settings.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof MoulinError)) {
    return `Something went wrong in this card. Reload the page and try again; ${ASK_FOR_HELP}`;
  }
  switch (error.kind) {
    case 'signature':
      return `The App du Moulin did not recognise this request as coming from HubSpot, so nothing was done. Try again in a few minutes; ${ASK_FOR_HELP}`;
    case 'notFound':
      return NOT_OURS;
    case 'runLost':
      return 'The App du Moulin lost track of this refresh; press the button again.';
    case 'tooMany':
      return 'Too many refreshes at once, try again in a minute.';
    case 'serviceDown':
      return `The App du Moulin is not answering properly right now. Try again in a few minutes; ${ASK_FOR_HELP}`;
    case 'timeout':
      return 'The App du Moulin did not answer in time; try again in a moment.';
    case 'network':
      return `Could not reach the App du Moulin. Try again in a few minutes; ${ASK_FOR_HELP}`;
    case 'runFailed':
      return `The refresh did not go through in the App du Moulin. Try again in a few minutes; ${ASK_FOR_HELP}`;
    case 'stillRunning':
      return 'The refresh is still running after two minutes; reload this card later to see what it changed.';
    case 'badResponse':
      return `The App du Moulin gave an answer this card cannot read. Reload the page; ${ASK_FOR_HELP}`;
  }
}

/** "12 s ago", or "3 min ago" past two minutes. */
export function describeAgo(seconds: number): string {
  return seconds < 120 ? `${seconds} s ago` : `${Math.round(seconds / 60)} min ago`;
}

/** The refresh result's title: whether this press refreshed, or joined a refresh. */
export function describeRefreshTitle({ joined, finishedSecondsAgo }: Joined): string {
  if (!joined) return 'Refreshed from the App du Moulin';
  if (finishedSecondsAgo === null) {
    return 'A refresh of this contact was already under way; this is what it changed';
  }
  return `Already refreshed ${describeAgo(finishedSecondsAgo)}`;
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

/** "1 Oct 2026" in the portal's time zone, or "unknown". */
export function describeDay(iso: string | null, timeZone?: string): string {
  if (!iso) return 'unknown';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  try {
    return new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone }).format(date);
  } catch {
    return `${date.toISOString().slice(0, 10)} UTC`;
  }
}

export const describeNpsScore = (score: number): string => `${score} / 10`;

export const NPS_CATEGORY_WORDS: Record<NpsCategory, string> = {
  promoter: 'Promoter',
  passive: 'Passive',
  detractor: 'Detractor',
};

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
  'This contact is not a customer moulin-sync knows, so there is nothing from the App du Moulin to show or refresh here.';

/** A ticket's age in a salesperson's words: "opened today", "opened 1 day ago", "opened 12 days ago". */
export function describeTicketAge(days: number | null): string {
  if (days === null) return 'opened on an unknown day';
  if (days === 0) return 'opened today';
  return `opened ${days} day${days === 1 ? '' : 's'} ago`;
}
