// The benchmark's yardstick: a bare Express 5 + pg handler doing the same single-statement work
// scimflow does per request (INSERT ... RETURNING, an indexed SELECT), with nothing around it.
import express from 'express';
import { Pool } from 'pg';
import { randomUUID } from 'node:crypto';

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_SIZE ?? 20) });
const app = express();
app.use(express.json({ type: ['application/json', 'application/scim+json'] }));

app.get('/healthz', (_req, res) => {
  res.json({ status: 'ok' });
});

app.post('/Users', async (req, res) => {
  const { rows } = await pool.query('insert into bench_users (id, user_name, data) values ($1, $2, $3) returning *', [
    randomUUID(),
    req.body.userName,
    req.body,
  ]);
  res.status(201).json({ ...rows[0].data, id: rows[0].id });
});

// The many-tenant open loop's PATCH adding a member (scenarios.ts): one insert, as bare as the POST.
app.patch('/Groups/:id', async (req, res) => {
  const member: unknown = req.body?.Operations?.[0]?.value?.[0]?.value;
  await pool.query('insert into bench_members (group_id, user_id) values ($1, $2)', [req.params.id, member]);
  res.status(200).json({ id: req.params.id });
});

app.get('/Users', async (req, res) => {
  const userName = (typeof req.query.filter === 'string' ? req.query.filter : '').match(/"(.*)"/)?.[1] ?? '';
  const { rows } = await pool.query('select * from bench_users where lower(user_name) = lower($1)', [userName]);
  res.json({ totalResults: rows.length, Resources: rows.map((row) => ({ ...row.data, id: row.id })) });
});

const server = app.listen(Number(process.env.PORT ?? 0));
process.on('SIGTERM', () => server.close(() => void pool.end()));
