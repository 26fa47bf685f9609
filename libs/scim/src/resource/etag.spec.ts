import { ifMatchSatisfied } from './etag';

describe('ifMatchSatisfied', () => {
  it.each([
    ['*', 4, true],
    ['W/"4"', 4, true],
    ['"4"', 4, true],
    ['W/"3", W/"4"', 4, true],
    ['W/"3"', 4, false],
    ['4', 4, false],
  ])('%s against version %d -> %s', (header, version, expected) => {
    expect(ifMatchSatisfied(header, version)).toBe(expected);
  });
});
