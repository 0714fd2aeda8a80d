import { firstValue, mayHoldQueryKey } from '@athena/common';

/**
 * Where a presented credential is read from (reference control contract §1.1): every non-empty candidate,
 * in this order, with its source. Query-string keys are a deprecated transport (still accepted, counted,
 * redacted from logs and stored URLs).
 */
export type KeySource =
  'authorization' | 'apikey' | 'x-api-key' | 'x-athena-key' | 'query:api_key' | 'query:apikey' | 'x-athena-admin-key';

export interface KeyCandidate {
  source: KeySource;
  value: string;
}

/** Longer values are still candidates (they fail the key grammar) but are cut before being hashed or compared. */
export const MAX_CANDIDATE_LENGTH = 4096;
const HEADER_SOURCES = ['apikey', 'x-api-key', 'x-athena-key'] as const;

type Headers = Record<string, string | string[] | undefined>;

function push(out: KeyCandidate[], source: KeySource, raw: string | undefined | null): void {
  if (raw === undefined || raw === null) return;
  const v = raw.trim();
  if (v === '') return;
  out.push({ source, value: v.length > MAX_CANDIDATE_LENGTH ? v.slice(0, MAX_CANDIDATE_LENGTH) : v });
}

export function extractKeyCandidates(headers: Headers, url: string): KeyCandidate[] {
  const out: KeyCandidate[] = [];
  const auth = firstValue(headers.authorization);
  if (auth !== undefined && auth.startsWith('Bearer ')) push(out, 'authorization', auth.slice(7));
  for (const h of HEADER_SOURCES) push(out, h, firstValue(headers[h]));
  const q = url.indexOf('?');
  if (q !== -1 && mayHoldQueryKey(url, q)) {
    // Decoded names (`%61pi_key` is `api_key`): the same parameters redactQueryCredentials hides in logs.
    const params = new URLSearchParams(url.slice(q + 1));
    push(out, 'query:api_key', params.get('api_key'));
    push(out, 'query:apikey', params.get('apikey'));
  }
  push(out, 'x-athena-admin-key', firstValue(headers['x-athena-admin-key']));
  return out;
}

export function isQuerySource(source: KeySource): boolean {
  return source === 'query:api_key' || source === 'query:apikey';
}
