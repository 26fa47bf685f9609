import { Router } from 'express';
import { CONSOLE_CSS, CONSOLE_JS } from './console-assets';
import { clearCookie, OPERATOR_COOKIE, requireCsrf, signIn } from './console-auth';
import { forms, send, type ConsoleDeps } from './console-http';
import { registerCustomerRoutes } from './customer-routes';
import { html } from './html';
import { loginPage } from './operator-pages';
import { registerOperatorRoutes } from './operator-routes';

export type { ConsoleDeps } from './console-http';

/** /console: its assets, sign-in and sign-out, the customer's page, then the operator's pages. */
export function consoleRouter(deps: ConsoleDeps): Router {
  const router = Router();
  const { keys } = deps;
  router.get(
    '/console/assets/console.css',
    (_req, res) => void res.type('css').set('Cache-Control', 'max-age=300').send(CONSOLE_CSS),
  );
  router.get(
    '/console/assets/console.js',
    (_req, res) => void res.type('js').set('Cache-Control', 'max-age=300').send(CONSOLE_JS),
  );

  router.get('/console/login', (_req, res) => send(res, 'Sign in', loginPage(false)));
  router.post('/console/login', forms, async (req, res) => {
    const body: unknown = req.body;
    const token = typeof body === 'object' && body !== null && 'token' in body ? body.token : undefined;
    if (signIn(keys, req, res, token)) return res.redirect(303, '/console');
    const retryAfter = await deps.credentials.failed(req.ip ?? req.socket.remoteAddress ?? 'unknown');
    if (retryAfter === undefined) return send(res, 'Sign in', loginPage(true), undefined, 401);
    res.set('Retry-After', String(retryAfter));
    send(
      res,
      'Sign in',
      html`<p class="error">Too many wrong tokens from this address; try again in ${retryAfter} s.</p>`,
      undefined,
      429,
    );
  });
  router.post('/console/logout', forms, requireCsrf(keys, OPERATOR_COOKIE), (_req, res) => {
    clearCookie(res, OPERATOR_COOKIE, '/');
    res.redirect(303, '/console/login');
  });

  registerCustomerRoutes(router, deps);
  registerOperatorRoutes(router, deps);
  return router;
}
