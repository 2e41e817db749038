import { describe, expect, it } from 'vitest';
import { MoulinError } from '../src/app/cards/moulin-api';
import {
  describeError,
  describeHeld,
  describeLastWritten,
  describeMismatch,
  describeOutcome,
} from '../src/app/cards/sentences';
import { FOUND_STATUS, OUTCOME } from './fake-backend';

describe('describeOutcome', () => {
  it('says what changed in one line', () => {
    expect(describeOutcome(OUTCOME)).toBe('Contact updated · 2 deals created, 1 updated · no duplicates');
  });

  it('names the company only when it was written', () => {
    expect(describeOutcome({ ...OUTCOME, company: 'created' })).toMatch(/^Contact updated, company created · /);
    expect(describeOutcome({ ...OUTCOME, company: 'none' })).toMatch(/^Contact updated · /);
  });

  it('uses the singular for one deal and says so when there are none', () => {
    const one = { ...OUTCOME, dealsCreated: 0, dealsUpdated: 1, dealsUnchanged: 4 };
    expect(describeOutcome(one)).toBe('Contact updated · 1 deal updated, 4 unchanged · no duplicates');
    const none = { ...OUTCOME, contact: 'unchanged' as const, dealsCreated: 0, dealsUpdated: 0 };
    expect(describeOutcome(none)).toBe('Contact unchanged · no deals · no duplicates');
  });

  it('counts duplicates found and merged', () => {
    expect(describeOutcome({ ...OUTCOME, duplicatesFound: 2, duplicatesMerged: 2 })).toMatch(
      /· 2 duplicates found and merged$/,
    );
    expect(describeOutcome({ ...OUTCOME, duplicatesFound: 3, duplicatesMerged: 1 })).toMatch(
      /· 3 duplicates found, 1 merged$/,
    );
    expect(describeOutcome({ ...OUTCOME, duplicatesFound: 1, duplicatesMerged: 0 })).toMatch(
      /· 1 duplicate found, none merged$/,
    );
  });

  it('counts records held back', () => {
    const held = {
      ...OUTCOME,
      rejected: [{ record: 'order 1042', reason: 'no delivery date' }],
      waiting: [
        { record: 'order 1043', reason: 'awaiting payment' },
        { record: 'order 1044', reason: 'awaiting payment' },
      ],
    };
    expect(describeOutcome(held)).toMatch(/· 1 rejected · 2 waiting$/);
    expect(describeHeld(held.rejected)).toEqual(['order 1042: no delivery date']);
  });
});

describe('describeError', () => {
  type Kind = MoulinError['kind'];
  const sentence = (kind: Kind, status?: number, runError?: string | null, runId?: string) =>
    describeError(new MoulinError(kind, 'x', status, runError, runId));

  it('names the secret to check when the signature is refused (401)', () => {
    expect(sentence('signature', 401)).toBe(
      "The App du Moulin refused the request's signature: check the app's client secret in MOULIN_REFRESH_SECRET.",
    );
  });

  it('says too many refreshes on a 429', () => {
    expect(sentence('tooMany', 429)).toBe('Too many refreshes at once, try again in a minute.');
  });

  it('says the contact is not in the App du Moulin on a 404', () => {
    expect(sentence('notFound', 404)).toBe(
      'This contact is not in the App du Moulin, so there is nothing to refresh from it.',
    );
  });

  it('says the service is down on a 5xx, with the status', () => {
    expect(sentence('serviceDown', 503)).toBe(
      'The App du Moulin refresh service is down or failing (HTTP 503); try again in a few minutes.',
    );
  });

  it('says so on a timeout and when the service cannot be reached', () => {
    expect(sentence('timeout')).toBe('The App du Moulin did not answer in time; try again in a moment.');
    expect(sentence('network')).toMatch(/^Could not reach the App du Moulin refresh service/);
  });

  it("quotes the run's own error when a run fails", () => {
    expect(sentence('runFailed', undefined, 'The App du Moulin database is locked.')).toBe(
      'The refresh failed in the App du Moulin: The App du Moulin database is locked.',
    );
    expect(sentence('runFailed', undefined, null)).toBe(
      'The refresh failed in the App du Moulin: it gave no reason.',
    );
  });

  it('covers the rest without crashing', () => {
    expect(sentence('stillRunning')).toMatch(/still running after two minutes/);
    expect(sentence('runLost', undefined, null, 'run-3')).toMatch(/run run-3/);
    expect(sentence('badResponse')).toMatch(/does not understand/);
    expect(describeError(new Error('boom'))).toBe('Something went wrong in the card: boom');
  });
});

describe('status sentences', () => {
  it('shows the last write in the portal time zone, or never', () => {
    expect(describeLastWritten('2026-03-12T14:05:00Z', 'America/New_York')).toBe('12 Mar 2026, 10:05');
    expect(describeLastWritten('2026-03-12T14:05:00Z', 'UTC')).toBe('12 Mar 2026, 14:05');
    expect(describeLastWritten(null)).toBe('never');
    expect(describeLastWritten('2026-03-12T14:05:00Z', 'Not/AZone')).toBe('2026-03-12 14:05 UTC');
  });

  it('explains orders and deals that do not match, and is quiet when they do', () => {
    expect(describeMismatch(FOUND_STATUS)).toBeNull();
    expect(describeMismatch({ ...FOUND_STATUS, ordersInApp: 3, dealsInHubSpot: 1 })).toMatch(
      /^3 orders in the App du Moulin but 1 deal in HubSpot/,
    );
  });
});
