import type { Pool } from 'pg';

const STATEMENT = /^\s*(select|insert|update|delete|with)\b/i;

/**
 * Makes the pool run parameterised statements as named (server-side prepared) statements, which
 * kysely can't ask for. Postgres then parses and plans each statement once per connection instead
 * of on every execution; for a SCIM lookup that is most of its cost (pgbench on the userName
 * lookup: ~17.6k tps unnamed, ~52k prepared), and the write path's statements (the after-write
 * CTE above all) are long to parse. Repositories keep statement texts independent of batch sizes
 * (arrays, not VALUES lists). Names are handed out to the first `maxStatements` distinct texts
 * only, so clients inventing filter shapes can't grow server memory unboundedly.
 */
export function prepareStatements(pool: Pool, maxStatements = 200): void {
  const names = new Map<string, string>();
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    const patched = (...args: unknown[]): unknown => {
      const [text, values] = args;
      if (
        args.length === 2 &&
        typeof text === 'string' &&
        Array.isArray(values) &&
        values.length > 0 &&
        STATEMENT.test(text)
      ) {
        let name = names.get(text);
        if (name === undefined && names.size < maxStatements) {
          name = `scimflow_${names.size + 1}`;
          names.set(text, name);
        }
        if (name !== undefined) return query({ name, text, values });
      }
      return query(...args);
    };
    // An own property shadows pg's prototype method for this client only.
    Object.defineProperty(client, 'query', { value: patched, writable: true, configurable: true });
  });
}
