import { validate, version } from 'uuid';
import { uuidv7 } from './uuid';

describe('uuidv7', () => {
  it('gives valid, distinct version-7 ids that increase strictly, also within one millisecond', () => {
    const ids = Array.from({ length: 20_000 }, () => uuidv7());
    expect(ids.every((id) => validate(id) && version(id) === 7)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    // More ids than one millisecond holds at this rate: the counter orders those of one millisecond.
    for (let index = 1; index < ids.length; index++) expect(ids[index]! > ids[index - 1]!).toBe(true);
    expect(ids.toSorted()).toEqual(ids);
  });

  it('carries the current time', () => {
    const before = Date.now();
    const ms = Number.parseInt(uuidv7().replaceAll('-', '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now() + 1);
  });
});
