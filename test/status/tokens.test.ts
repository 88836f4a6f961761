import { describe, expect, it } from 'vitest';
import { makeToken, readToken } from '../../src/status/tokens.js';

describe('subscription link tokens', () => {
  it('carry the subscriber id, and only for their own purpose and secret', () => {
    const t = makeToken('s3cret', 'unsubscribe', 'abc123');
    expect(readToken('s3cret', 'unsubscribe', t)).toBe('abc123');
    expect(readToken('s3cret', 'confirm', t)).toBeNull();
    expect(readToken('other', 'unsubscribe', t)).toBeNull();
    expect(readToken('s3cret', 'unsubscribe', t.replace('abc123', 'abc124'))).toBeNull();
    expect(readToken('s3cret', 'unsubscribe', 'abc123')).toBeNull();
    expect(readToken('s3cret', 'unsubscribe', `${t}x`)).toBeNull();
  });
});
