import { bearerToken, generateToken, hashToken, tokenMatches } from './tokens';

describe('tokens', () => {
  it('generates distinct tokens with at least 256 bits of randomness', () => {
    const a = generateToken();
    const b = generateToken();
    expect(a).not.toBe(b);
    expect(Buffer.from(a.replace('scimflow_', ''), 'base64url').length).toBeGreaterThanOrEqual(32);
  });

  it('matches a token against its hash only', () => {
    const token = generateToken();
    const hash = hashToken(token);
    expect(tokenMatches(token, hash)).toBe(true);
    expect(tokenMatches(`${token}x`, hash)).toBe(false);
    expect(tokenMatches(token, Buffer.alloc(3))).toBe(false);
  });

  it('reads bearer tokens case-insensitively and rejects other schemes', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer   abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('non-token')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
