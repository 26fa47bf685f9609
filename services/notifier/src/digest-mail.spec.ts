import type { DigestContent } from '@scimflow/db';
import { composeDigest } from './digest-mail';

const digest = (overrides: Partial<DigestContent> = {}): DigestContent => ({
  id: 'd1',
  tenantId: '9b3e0c2a-1d7f-4a8e-9c1b-2f4d6e8a0b1c',
  tenantName: 'Acme',
  settings: {},
  windowStart: new Date('2026-11-23T10:00:00Z'),
  windowEnd: new Date('2026-11-23T10:15:00Z'),
  total: 3,
  byKind: [
    { status: 409, scimType: 'uniqueness', count: 2 },
    { status: 400, scimType: 'invalidValue', count: 1 },
  ],
  first: [
    {
      id: 'f1',
      tenantId: '9b3e0c2a-1d7f-4a8e-9c1b-2f4d6e8a0b1c',
      at: '2026-11-23T10:00:01.000Z',
      operation: 'create',
      resourceType: 'User',
      resourceName: 'alice@example.com',
      status: 409,
      scimType: 'uniqueness',
      detail: "userName 'alice@example.com' is already in use",
    },
    {
      id: 'f2',
      tenantId: '9b3e0c2a-1d7f-4a8e-9c1b-2f4d6e8a0b1c',
      at: '2026-11-23T10:00:02.000Z',
      operation: 'patch',
      resourceType: 'Group',
      resourceId: 'g-1',
      status: 400,
      scimType: 'invalidValue',
      detail: 'No such member',
    },
    {
      id: 'f3',
      tenantId: '9b3e0c2a-1d7f-4a8e-9c1b-2f4d6e8a0b1c',
      at: '2026-11-23T10:00:03.000Z',
      operation: 'create',
      resourceType: 'User',
      resourceName: 'bob@example.com',
      status: 409,
      scimType: 'uniqueness',
    },
  ],
  ...overrides,
});

describe('composeDigest', () => {
  it('says how many failed, of which kind, which ones, when, and where to look', () => {
    const mail = composeDigest(digest(), 'https://scim.example.com/console/idp?link=abc');
    expect(mail.subject).toBe('[scimflow] 3 provisioning failures for Acme');
    expect(mail.text).toContain('could not apply 3 provisioning requests for tenant "Acme"');
    expect(mail.text).toContain('between 2026-11-23 10:00:00 UTC and 2026-11-23 10:15:00 UTC');
    expect(mail.text).toContain('  2 x 409 uniqueness\n  1 x 400 invalidValue');
    expect(mail.text).toContain(
      "  - 10:00:01 create User alice@example.com: 409 uniqueness (userName 'alice@example.com' is already in use)",
    );
    expect(mail.text).toContain('  - 10:00:02 patch Group g-1: 400 invalidValue (No such member)');
    // The customer's own console page, never the operators' admin API.
    expect(mail.text).toContain('  https://scim.example.com/console/idp?link=abc');
    expect(mail.text).not.toContain('/admin/');
    expect(mail.text).not.toContain('more');
    expect(composeDigest(digest(), undefined).text).toContain('ask your service provider for');
  });

  it('counts what it does not list', () => {
    const mail = composeDigest(digest({ total: 50_000, first: digest().first.slice(0, 2) }), undefined);
    expect(mail.subject).toBe('[scimflow] 50000 provisioning failures for Acme');
    expect(mail.text).toContain('The first 2:');
    expect(mail.text).toContain('... and 49998 more');
  });

  it('speaks of one failure in the singular', () => {
    expect(composeDigest(digest({ total: 1, first: digest().first.slice(0, 1) }), undefined).subject).toBe(
      '[scimflow] 1 provisioning failure for Acme',
    );
  });
});
