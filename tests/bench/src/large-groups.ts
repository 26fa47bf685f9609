// Large-group figures for `npm run bench`: a 10,000-member PATCH, and reads of a 100,000-member
// group against a small one.
import autocannon from 'autocannon';
import type pg from 'pg';
import { rssBytes } from '../../support/processes';

export interface LargeGroupFigures {
  patch10kMs: number[];
  excludedLarge: { reqPerSec: number; p50: number; p99: number };
  excludedSmall: { reqPerSec: number; p50: number; p99: number };
  fullLarge: { ms: number; bytes: number; ingressRssDeltaMb: number };
}

interface Target {
  readonly url: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly tenantId: string;
  readonly ingressPid: number | undefined;
}

async function createGroup(target: Target, displayName: string): Promise<string> {
  const response = await fetch(`${target.url}${target.path}/Groups`, {
    method: 'POST',
    headers: target.headers,
    body: JSON.stringify({ displayName }),
  });
  if (response.status !== 201) throw new Error(`group creation answered ${response.status}`);
  return ((await response.json()) as { id: string }).id;
}

async function read(target: Target, path: string) {
  const result = await autocannon({
    url: `${target.url}${target.path}${path}`,
    connections: 16,
    duration: 5,
    headers: target.headers,
  });
  return { reqPerSec: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

export async function benchLargeGroups(target: Target, raw: pg.Pool): Promise<LargeGroupFigures> {
  // Users for the memberships are inserted directly: the subject is the group, not user creation.
  await raw.query(
    `insert into users (tenant_id, id, data)
     select $1, gen_random_uuid(), jsonb_build_object('userName', 'member-' || n || '@example.com', 'displayName', 'Member ' || n)
     from generate_series(1, 100000) n`,
    [target.tenantId],
  );
  const { rows } = await raw.query<{ id: string }>(
    `select id from users where tenant_id = $1 and user_name like 'member-%' order by id`,
    [target.tenantId],
  );
  const ids = rows.map((row) => row.id);

  const patch10kMs: number[] = [];
  for (let round = 0; round < 3; round++) {
    const group = await createGroup(target, `Ten thousand ${round}`);
    const value = ids.slice(round * 10_000, (round + 1) * 10_000).map((id) => ({ value: id }));
    const started = performance.now();
    const response = await fetch(`${target.url}${target.path}/Groups/${group}`, {
      method: 'PATCH',
      headers: target.headers,
      body: JSON.stringify({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'Add', path: 'members', value }],
      }),
    });
    patch10kMs.push(performance.now() - started);
    if (response.status !== 204) throw new Error(`10k PATCH answered ${response.status}`);
  }

  const large = await createGroup(target, 'One hundred thousand');
  await raw.query(`insert into group_members (tenant_id, group_id, user_id) select $1, $2, unnest($3::uuid[])`, [
    target.tenantId,
    large,
    ids,
  ]);
  await raw.query('analyze group_members');
  const small = await createGroup(target, 'Small');
  await raw.query(`insert into group_members (tenant_id, group_id, user_id) select $1, $2, unnest($3::uuid[])`, [
    target.tenantId,
    small,
    ids.slice(0, 5),
  ]);

  const excludedSmall = await read(target, `/Groups/${small}?excludedAttributes=members`);
  const excludedLarge = await read(target, `/Groups/${large}?excludedAttributes=members`);

  const before = rssBytes(target.ingressPid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(target.ingressPid))), 50);
  const started = performance.now();
  const full = await fetch(`${target.url}${target.path}/Groups/${large}`, { headers: target.headers });
  const body = await full.text();
  const ms = performance.now() - started;
  clearInterval(sampler);
  const members = (JSON.parse(body) as { members?: unknown[] }).members;
  if (full.status !== 200 || members?.length !== 100_000)
    throw new Error(`the large group did not come back whole: ${full.status} ${body.slice(0, 300)}`);
  return {
    patch10kMs,
    excludedLarge,
    excludedSmall,
    fullLarge: { ms, bytes: body.length, ingressRssDeltaMb: (peak - before) / 1024 / 1024 },
  };
}

export function reportLargeGroups(figures: LargeGroupFigures): void {
  const median = [...figures.patch10kMs].toSorted((a, b) => a - b)[1] ?? 0;
  console.log('\nLarge groups');
  console.log(
    `  PATCH adding 10,000 members: ${figures.patch10kMs.map((ms) => ms.toFixed(0)).join(' / ')} ms (median ${median.toFixed(0)} ms; target <= 1000)`,
  );
  const row = (name: string, f: LargeGroupFigures['excludedLarge']) =>
    `  ${name.padEnd(44)} ${f.reqPerSec.toFixed(0).padStart(6)} req/s   p50 ${String(f.p50).padStart(3)} ms   p99 ${String(f.p99).padStart(3)} ms`;
  console.log(row('GET ?excludedAttributes=members, 5 members', figures.excludedSmall));
  console.log(row('GET ?excludedAttributes=members, 100k members', figures.excludedLarge));
  console.log(
    `  ratio large/small: throughput ${(figures.excludedLarge.reqPerSec / figures.excludedSmall.reqPerSec).toFixed(2)}, p99 ${(figures.excludedLarge.p99 / Math.max(1, figures.excludedSmall.p99)).toFixed(2)}`,
  );
  const full = figures.fullLarge;
  console.log(
    `  GET with all 100,000 members (streamed): ${full.ms.toFixed(0)} ms, ${(full.bytes / 1024 / 1024).toFixed(1)} MB, ingress RSS +${full.ingressRssDeltaMb.toFixed(0)} MB`,
  );
}
