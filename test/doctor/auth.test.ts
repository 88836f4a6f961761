import { describe, expect, it } from 'vitest';
import { cleanKey, PLACEHOLDER, UNEXPANDED } from '../../src/doctor/auth.js';

describe('auth: undoing the usual mistakes around a key', () => {
  it('names each mistake and gives the bare key', () => {
    const r = cleanKey(' Bearer "abc123"\n');
    expect(r.key).toBe('abc123');
    expect(r.flaws.map((f) => f.name)).toEqual(['key_whitespace', 'bearer_prefix', 'key_quoted']);
    expect(cleanKey('Token abc').flaws.map((f) => f.name)).toEqual(['auth_scheme']);
    expect(cleanKey('abc123').flaws).toEqual([]);
  });

  it('spaces around a key are stripped by HTTP itself; line breaks and invisible characters are not', () => {
    expect(cleanKey('  abc  ').flaws[0]!.breaksUpstream).toBe(false);
    expect(cleanKey('abc\r\n').flaws[0]!.breaksUpstream).toBe(true);
    expect(cleanKey('\u200babc').flaws[0]!.breaksUpstream).toBe(true);
  });

  it('tells placeholders and unexpanded variables from keys', () => {
    for (const p of ['<YOUR_API_KEY>', 'YOUR_API_KEY', 'your-api-key', '{{apiKey}}', 'xxxx', '...'])
      expect(PLACEHOLDER.test(p), p).toBe(true);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an unexpanded shell variable, on purpose
    for (const v of ['$ASSEMBLYAI_API_KEY', '${KEY}', '%API_KEY%']) expect(UNEXPANDED.test(v), v).toBe(true);
    expect(PLACEHOLDER.test('0123456789abcdef0123456789abcdef')).toBe(false);
    expect(UNEXPANDED.test('0123456789abcdef')).toBe(false);
  });
});
