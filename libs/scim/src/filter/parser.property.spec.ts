import * as fc from 'fast-check';
import { anyFilter, patchPath, validFilter } from '../../../../tests/support/scim-arbitraries';
import { ScimError } from '../errors';
import { parseFilter, parsePatchPath } from './parser';

/** Runs `fn`; a ScimError is an answer, anything else thrown is a bug. */
function answerOf(fn: () => unknown): { ok: true } | { ok: false; error: ScimError } {
  try {
    fn();
    return { ok: true };
  } catch (error) {
    if (error instanceof ScimError) return { ok: false, error };
    throw error;
  }
}

describe('filter parser (properties)', () => {
  it('parses every filter the RFC 7644 grammar allows', () => {
    fc.assert(
      fc.property(validFilter, (filter) => {
        parseFilter(filter);
      }),
      { numRuns: 2_000 },
    );
  });

  it('answers any other text with a 400 invalidFilter, never with another exception', () => {
    fc.assert(
      fc.property(anyFilter, (filter) => {
        const answer = answerOf(() => parseFilter(filter));
        if (!answer.ok) {
          expect(answer.error.status).toBe(400);
          expect(answer.error.scimType).toBe('invalidFilter');
        }
      }),
      { numRuns: 3_000 },
    );
  });

  it('answers any PATCH path with a path or a 400 invalidPath', () => {
    fc.assert(
      fc.property(patchPath, (path) => {
        if (path === undefined) return;
        const answer = answerOf(() => parsePatchPath(path));
        if (!answer.ok) {
          expect(answer.error.status).toBe(400);
          expect(['invalidPath', 'invalidFilter']).toContain(answer.error.scimType);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('survives deep nesting (a 400) and long flat input (parsed), never with a stack overflow', () => {
    const deep = (open: string, n: number) => `${open.repeat(n)}a pr${')'.repeat(n)}`;
    for (const filter of [
      '('.repeat(5_000),
      deep('(', 4_900),
      deep('not (', 1_600),
      `${'a pr and '.repeat(1_100)}a pr`,
    ]) {
      const answer = answerOf(() => parseFilter(filter));
      expect(answer.ok ? 'parsed' : answer.error.status).toBe(filter.startsWith('a pr and') ? 'parsed' : 400);
    }
  });
});
