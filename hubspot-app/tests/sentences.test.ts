import { describe, expect, it } from 'vitest';
import { REFRESH_LABEL } from '../src/app/cards/RefreshPanel';
import { FAILURE_KINDS, MoulinError } from '../src/app/cards/moulin-api';
import {
  describeAgo,
  describeDay,
  describeError,
  describeHeld,
  describeLastWritten,
  describeMismatch,
  describeNpsScore,
  describeOutcome,
  describeRefreshTitle,
  NOT_OURS,
  NPS_CATEGORY_WORDS,
} from '../src/app/cards/sentences';
import { FOUND_STATUS, OUTCOME } from './fake-backend';
import { expectPlainWords } from './plain-words';

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
  // The service's and the run's own words name settings: the card must not pass them on.
  const TECHNICAL = 'HUBSPOT_ACCESS_TOKEN is refused by HubSpot (401): check MOULIN_REFRESH_SECRET';
  const sentence = (kind: Kind, status?: number) =>
    describeError(new MoulinError(kind, TECHNICAL, status, TECHNICAL, 'run-3f9a'));

  it('says a refused request was not done, and whom to tell (401)', () => {
    expect(sentence('signature', 401)).toBe(
      'The App du Moulin did not recognise this request as coming from HubSpot, so nothing was done. Try again in a few minutes; if it keeps happening, tell whoever looks after the App du Moulin connection.',
    );
  });

  it('says too many refreshes on a 429', () => {
    expect(sentence('tooMany', 429)).toBe('Too many refreshes at once, try again in a minute.');
  });

  it('says the contact is not a customer moulin-sync knows on a 404', () => {
    expect(sentence('notFound', 404)).toBe(NOT_OURS);
  });

  it('says the App du Moulin is not answering properly on a 5xx', () => {
    expect(sentence('serviceDown', 503)).toBe(
      'The App du Moulin is not answering properly right now. Try again in a few minutes; if it keeps happening, tell whoever looks after the App du Moulin connection.',
    );
  });

  it('says so on a timeout and when the service cannot be reached', () => {
    expect(sentence('timeout')).toBe('The App du Moulin did not answer in time; try again in a moment.');
    expect(sentence('network')).toMatch(/^Could not reach the App du Moulin\. Try again/);
  });

  it("says a failed refresh did not go through, without quoting the run's error", () => {
    expect(sentence('runFailed')).toBe(
      'The refresh did not go through in the App du Moulin. Try again in a few minutes; if it keeps happening, tell whoever looks after the App du Moulin connection.',
    );
  });

  it('covers the rest without crashing', () => {
    expect(sentence('stillRunning')).toMatch(/still running after two minutes/);
    expect(sentence('runLost')).toBe('The App du Moulin lost track of this refresh; press the button again.');
    expect(sentence('badResponse')).toMatch(/cannot read/);
    expect(describeError(new Error(TECHNICAL))).toMatch(/^Something went wrong in this card\./);
  });

  it('never names a setting, a file, a status code, a secret or a run, whatever went wrong', () => {
    for (const kind of FAILURE_KINDS) {
      for (const status of [undefined, 401, 404, 429, 500, 503, 504]) expectPlainWords(sentence(kind, status));
    }
    expectPlainWords(describeError(new Error(TECHNICAL)));
    expectPlainWords(describeError(TECHNICAL));
  });
});

describe('every other sentence', () => {
  it('is in plain words too', () => {
    const sentences = [
      NOT_OURS,
      REFRESH_LABEL,
      describeOutcome({ ...OUTCOME, duplicatesFound: 2, duplicatesMerged: 1 }),
      describeMismatch({ ...FOUND_STATUS, ordersInApp: 3, dealsInHubSpot: 1 }) ?? '',
      describeRefreshTitle({ joined: false, finishedSecondsAgo: null }),
      describeRefreshTitle({ joined: true, finishedSecondsAgo: null }),
      describeRefreshTitle({ joined: true, finishedSecondsAgo: 12 }),
      describeNpsScore(7),
      ...Object.values(NPS_CATEGORY_WORDS),
    ];
    sentences.forEach(expectPlainWords);
  });

  it('catches jargon when there is some', () => {
    for (const bad of ['check MOULIN_REFRESH_SECRET', 'BACKEND_URL in config.ts', 'HTTP 503', '(run run-1)']) {
      expect(() => expectPlainWords(bad)).toThrow();
    }
  });
});

describe('joined refreshes', () => {
  it('says "already refreshed N s ago" when the press joined a finished refresh', () => {
    expect(describeRefreshTitle({ joined: true, finishedSecondsAgo: 12 })).toBe('Already refreshed 12 s ago');
    expect(describeRefreshTitle({ joined: true, finishedSecondsAgo: 0 })).toBe('Already refreshed 0 s ago');
    expect(describeRefreshTitle({ joined: true, finishedSecondsAgo: null })).toMatch(/already under way/);
    expect(describeRefreshTitle({ joined: false, finishedSecondsAgo: null })).toBe('Refreshed from the App du Moulin');
  });

  it('counts in minutes past two minutes (a longer wait between refreshes)', () => {
    expect(describeAgo(119)).toBe('119 s ago');
    expect(describeAgo(600)).toBe('10 min ago');
  });
});

describe('status sentences', () => {
  it('shows the last write in the portal time zone, or never', () => {
    expect(describeLastWritten('2026-03-12T14:05:00Z', 'America/New_York')).toBe('12 Mar 2026, 10:05');
    expect(describeLastWritten('2026-03-12T14:05:00Z', 'UTC')).toBe('12 Mar 2026, 14:05');
    expect(describeLastWritten(null)).toBe('never');
    expect(describeLastWritten('2026-03-12T14:05:00Z', 'Not/AZone')).toBe('2026-03-12 14:05 UTC');
  });

  it("shows an NPS answer's day in the portal time zone", () => {
    expect(describeDay('2026-03-01T02:00:00.000Z', 'America/New_York')).toBe('28 Feb 2026');
    expect(describeDay('2026-10-01T09:00:00.000Z', 'UTC')).toBe('1 Oct 2026');
    expect(describeDay(null)).toBe('unknown');
    expect(describeNpsScore(9)).toBe('9 / 10');
  });

  it('explains orders and deals that do not match, and is quiet when they do', () => {
    expect(describeMismatch(FOUND_STATUS)).toBeNull();
    expect(describeMismatch({ ...FOUND_STATUS, ordersInApp: 3, dealsInHubSpot: 1 })).toMatch(
      /^3 orders in the App du Moulin but 1 deal in HubSpot/,
    );
  });
});
