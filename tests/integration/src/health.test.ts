import { Stack } from '../../support/stack';

let stack: Stack;

beforeAll(async () => {
  stack = await Stack.start({ worker: false });
});
afterAll(() => stack.stop());

describe('health endpoints', () => {
  it('the ingress reports liveness and readiness', async () => {
    expect(await (await fetch(`${stack.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${stack.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', postgres: 'up', redis: 'up' });
  });

  it('the worker reports liveness and readiness, and stops answering once closed', async () => {
    const worker = await stack.startWorker();
    const base = `http://127.0.0.1:${worker.healthPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ready', postgres: 'up', redis: 'up' });
    expect((await fetch(`${base}/other`)).status).toBe(404);
    await stack.stopWorkers();
    await expect(fetch(`${base}/healthz`)).rejects.toThrow('fetch failed');
  });
});
