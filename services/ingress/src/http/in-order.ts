import type { RequestHandler } from 'express';

/**
 * Middlewares run as one Express layer, each calling the next as Express would (a rejected promise
 * goes on as an error). As a layer each, every one matched the tenant prefix again, decoded its
 * parameter again and cut it from the URL again (which parseurl then parsed again).
 */
export function inOrder<P>(...handlers: RequestHandler<P>[]): RequestHandler<P> {
  return (req, res, next) => {
    let index = 0;
    const step = (failure?: unknown): void => {
      // As Express's router: a falsy argument is no error.
      if (failure) {
        next(failure);
        return;
      }
      const handler = handlers[index++];
      if (!handler) {
        next();
        return;
      }
      try {
        const result: unknown = handler(req, res, step);
        if (result instanceof Promise)
          result.catch((rejected: unknown) => step(rejected || new Error('Rejected promise')));
      } catch (thrown) {
        step(thrown);
      }
    };
    step();
  };
}
