import * as fc from 'fast-check';
import { patchBody, userBody } from '../../../../tests/support/scim-arbitraries';
import type { ScimDocument } from '../constants';
import { ScimError } from '../errors';
import { jsonEqual } from '../json-equal';
import { normalizeResource, validateDocument } from '../resource/normalize-resource';
import { GroupResource, UserResource, type ResourceType } from '../schema/resource-type';
import { applyPatch } from './apply-patch';
import { compilePatch } from './compile-patch';
import { parsePatchRequest } from './parse-patch-request';

// A user as Entra leaves it after a few cycles: roles, an enterprise manager, a work email.
const alice: ScimDocument = {
  userName: 'alice@contoso.com',
  roles: [{ value: 'Reader', primary: false }],
  emails: [{ type: 'work', value: 'alice@contoso.com', primary: true }],
  active: true,
  name: { familyName: 'Smith' },
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'R&D', manager: { value: 'bob' } },
};
const staff: ScimDocument = { displayName: 'Staff', externalId: 'staff' };

/**
 * The PATCH pipeline as the services run it: the ingress parses and compiles (refusing a bad
 * request before it is queued), the worker applies to the stored document.
 */
function patched(resource: ResourceType, doc: ScimDocument, body: unknown) {
  const operations = compilePatch(resource, parsePatchRequest(body));
  return applyPatch(
    resource,
    doc,
    // The worker applies member operations to the membership table, not to the document.
    operations.filter((operation) => operation.target.attr.name !== 'members'),
  );
}

function outcome<T>(fn: () => T): { ok: true; value: T } | { ok: false; error: ScimError } {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    if (error instanceof ScimError) return { ok: false, error };
    throw error;
  }
}

describe('PATCH engine (properties)', () => {
  it.each([
    ['User', UserResource, alice],
    ['Group', GroupResource, staff],
  ] as const)(
    'on a %s: any body gives a valid document or a 4xx SCIM error, and never changes the stored one',
    (_name, resource, base) => {
      fc.assert(
        fc.property(patchBody, (body) => {
          const before = structuredClone(base);
          const result = outcome(() => patched(resource, base, body));
          // Atomic (RFC 7644 §3.5.2): the input is never modified, whatever happened.
          expect(base).toEqual(before);
          if (!result.ok) {
            expect(result.error.status).toBeGreaterThanOrEqual(400);
            expect(result.error.status).toBeLessThan(500);
            return;
          }
          // What it produced is a document the schema accepts, and stores as it is.
          validateDocument(resource, result.value.doc);
          // Changed means different as JSON values: member order is not a change (remove `active`,
          // then replace it with the same value, moves the key but changes nothing).
          expect(result.value.changed).toBe(!jsonEqual(result.value.doc, base));
        }),
        { numRuns: 3_000 },
      );
    },
  );

  it('applies the same body to the same document the same way (the worker may retry a batch)', () => {
    fc.assert(
      fc.property(patchBody, (body) => {
        const first = outcome(() => patched(UserResource, alice, body));
        const second = outcome(() => patched(UserResource, alice, body));
        expect(second).toEqual(first);
      }),
      { numRuns: 500 },
    );
  });

  it('creates from any POST body a document that validates, or refuses it with a 400', () => {
    fc.assert(
      fc.property(userBody, (body) => {
        const result = outcome(() => normalizeResource(UserResource, body));
        if (!result.ok) {
          expect(result.error.status).toBe(400);
          return;
        }
        validateDocument(UserResource, result.value);
        // Normalising what was stored changes nothing: a PUT of a GET is a no-op.
        expect(normalizeResource(UserResource, result.value)).toEqual(result.value);
      }),
      { numRuns: 3_000 },
    );
  });
});
