// Smoke test of a `compose up` stack (used by .ci/docker-path.sh): an operator creates a tenant,
// its identity provider creates and reads a user, and Prometheus scrapes all three services.
// Usage: node tools/compose-smoke.mjs <ingress url> <prometheus url> <admin token>
const [ingress, prometheus, adminToken] = process.argv.slice(2);
if (!ingress || !prometheus || !adminToken) {
  console.error('usage: node tools/compose-smoke.mjs <ingress url> <prometheus url> <admin token>');
  process.exit(2);
}

async function json(url, init = {}) {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

function check(condition, what) {
  if (!condition) throw new Error(`compose smoke: ${what}`);
}

const tenant = await json(`${ingress}/admin/tenants`, {
  method: 'POST',
  headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
  body: JSON.stringify({ name: 'compose-smoke' }),
});
check(tenant.status === 201, `tenant creation answered ${tenant.status}`);
// The printed base URL uses PUBLIC_URL; the smoke test talks to the published port.
const base = `${ingress}/scim/v2/${tenant.body.id}`;
const scim = { authorization: `Bearer ${tenant.body.token}`, 'content-type': 'application/scim+json' };
const created = await json(`${base}/Users`, {
  method: 'POST',
  headers: scim,
  body: JSON.stringify({ userName: 'smoke@example.com', active: true }),
});
check(created.status === 201, `POST /Users answered ${created.status}`);
const read = await json(`${base}/Users/${created.body.id}`, { headers: scim });
check(read.status === 200 && read.body.userName === 'smoke@example.com', `GET /Users/{id} answered ${read.status}`);

const deadline = Date.now() + 60_000;
let targets = [];
for (;;) {
  const answer = await json(`${prometheus}/api/v1/targets`).catch(() => ({ status: 0, body: undefined }));
  targets = (answer.body?.data?.activeTargets ?? []).map((t) => `${t.labels.job}=${t.health}`);
  if (targets.length === 3 && targets.every((t) => t.endsWith('=up'))) break;
  if (Date.now() > deadline) throw new Error(`compose smoke: Prometheus targets ${targets.join(', ') || 'none'}`);
  await new Promise((resolve) => setTimeout(resolve, 2_000));
}
console.log(`compose smoke: tenant, POST + GET /Users through the stack; Prometheus scrapes ${targets.join(', ')}`);
