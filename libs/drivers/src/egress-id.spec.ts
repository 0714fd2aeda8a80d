import { createHash } from 'node:crypto';
import { egressId } from './egress-id';

describe('egressId', () => {
  it('is stable within the process, distinct per input, and not a plain (guessable) hash of the secret', () => {
    const uri = 'postgresql://u:secret@db.example.com:5432/app';
    expect(egressId(uri)).toBe(egressId(uri));
    expect(egressId(uri)).not.toBe(egressId(`${uri}x`));
    expect(egressId(uri)).toMatch(/^[0-9a-f]{64}$/);
    expect(egressId(uri)).not.toBe(createHash('sha256').update(uri).digest('hex'));
  });
});
