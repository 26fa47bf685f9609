import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { inOrder } from './in-order';

/** Serves GET /t/:tenantId through `handlers` as one layer, then a route; answers what ran, or the error's message. */
async function serve(handlers: RequestHandler<{ tenantId: string }>[]) {
  const ran: string[] = [];
  const app = express();
  app.use('/t/:tenantId', inOrder(...handlers.map((handler, n) => trace(ran, `m${n}`, handler))));
  app.get('/t/:tenantId/x', (_req, res) => {
    res.json({ ran: [...ran, 'route'] });
  });
  const onError: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
    res.status(500).json({ ran, error: error instanceof Error ? error.message : String(error) });
  };
  app.use(onError);
  const server = app.listen(0);
  await new Promise((resolve) => server.once('listening', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  const { port } = address;
  try {
    const response = await fetch(`http://127.0.0.1:${port}/t/acme/x`);
    return { status: response.status, body: await response.json() };
  } finally {
    server.close();
  }
}

function trace<P>(ran: string[], name: string, handler: RequestHandler<P>): RequestHandler<P> {
  return (req, res, next) => {
    ran.push(name);
    return handler(req, res, next);
  };
}

const pass: RequestHandler<{ tenantId: string }> = (_req, _res, next) => next();

describe('inOrder', () => {
  it('runs each middleware in turn with the layer’s parameters, then what follows the layer', async () => {
    const seen: string[] = [];
    const result = await serve([
      pass,
      async (req, _res, next) => {
        await new Promise((resolve) => setImmediate(resolve));
        seen.push(req.params.tenantId);
        next();
      },
      (_req, _res, next) => next(null),
    ]);
    expect(result).toEqual({ status: 200, body: { ran: ['m0', 'm1', 'm2', 'route'] } });
    expect(seen).toEqual(['acme']);
  });

  it('stops at a middleware that answers', async () => {
    const result = await serve([pass, (_req, res) => void res.status(429).json({ ran: 'refused' }), pass]);
    expect(result).toEqual({ status: 429, body: { ran: 'refused' } });
  });

  it.each([
    ['passed to next', (_req, _res, next) => next(new Error('down'))],
    [
      'thrown',
      () => {
        throw new Error('down');
      },
    ],
    [
      'from a rejected promise',
      async () => {
        await Promise.resolve();
        throw new Error('down');
      },
    ],
  ] satisfies [string, RequestHandler<{ tenantId: string }>][])(
    'hands an error %s to the error handler, skipping the rest',
    async (_how, failing) => {
      const result = await serve([pass, failing, pass]);
      expect(result).toEqual({ status: 500, body: { ran: ['m0', 'm1'], error: 'down' } });
    },
  );
});
