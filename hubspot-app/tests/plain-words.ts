/**
 * What a salesperson must never read on the card: setting names, file names,
 * status codes, secrets, run ids. Those belong in the service's logs and docs.
 */
import { expect } from 'vitest';

export const JARGON = [
  /\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b/, // MOULIN_REFRESH_SECRET, BACKEND_URL, HUBSPOT_ACCESS_TOKEN...
  /\b\w+\.(ts|tsx|json|py)\b/,
  /\bHTTP\b|\b[45]\d\d\b/,
  /\bsignature\b|\bsecret\b|\btoken\b/i,
  /\brun[- ]?\w*\d/i,
];

export function expectPlainWords(sentence: string | null): void {
  expect(sentence).toBeTruthy();
  for (const pattern of JARGON) expect(sentence).not.toMatch(pattern);
}
