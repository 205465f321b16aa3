// The headless proxy's copy of the Activity page, at /_proxy/ui/: the built
// renderer as static files, plus the `claudel` snippet it shows while waiting
// for the first call. Mounted behind the proxy's Host/Origin guard; the page
// reads /_proxy/status and /_proxy/events from the same origin.
import type { NextFunction, Request, Response, Router } from 'express';
import express from 'express';
import { hostName } from '../proxy/request-guard.js';
import { DEFAULT_SETTINGS } from '../settings/schema.js';
import type { Shell } from '../snippet/shells.js';
import { shellFromEnv } from '../snippet/shells.js';
import { RENDERER_CSP_HEADER } from './csp.js';
import { PAGE_MODULES_PATH, pageModulesDir, rendererDir } from './paths.js';
import { requestedShell, snippetView, type SnippetSource } from './snippet-view.js';

export const UI_PATH = '/_proxy/ui/';

/** What the snippet is written from besides the address the page was reached at, and the user's shell. */
export type PageSnippet = Omit<SnippetSource, 'host' | 'port'> & { readonly shell: Shell };

export interface UiRoutesOptions {
  /** The host's settings and the model's window. Default: the settings' defaults and $SHELL, no window. */
  readonly snippet?: () => PageSnippet;
}

function defaultSnippetSettings(): PageSnippet {
  return { model: DEFAULT_SETTINGS.model, bare: DEFAULT_SETTINGS.bare, shell: shellFromEnv(process.env['SHELL']) };
}

function setPageHeaders(res: Response): void {
  res.set({
    'content-security-policy': RENDERER_CSP_HEADER,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    // The page is small; always revalidating keeps it in step with the proxy after an upgrade.
    'cache-control': 'no-cache',
  });
}

export function uiRoutes(options: UiRoutesOptions = {}): Router {
  const snippetSettings = options.snippet ?? defaultSnippetSettings;
  // Strict, so /_proxy/ui (no slash) is told apart: the page's relative URLs need the slash.
  const router = express.Router({ strict: true });

  router.get('/_proxy/ui', (_req: Request, res: Response) => {
    res.redirect(301, UI_PATH);
  });

  router.get(`${UI_PATH}snippet`, (req: Request, res: Response) => {
    const { shell, ...source } = snippetSettings();
    const requested = new URL(req.originalUrl, 'http://localhost').searchParams.get('shell');
    // The address the browser used (already checked by the guard) is one a local `claude` can use too.
    const host = hostName(req.headers.host ?? '127.0.0.1').replace(/^\[|\]$/g, '');
    const port = req.socket.localPort ?? 0;
    res.set('cache-control', 'no-store').json(snippetView({ ...source, host, port }, requestedShell(requested, shell)));
  });

  const staticOptions = {
    redirect: false,
    // A missing file under /_proxy/ui/ is a 404 here, never a request forwarded to the backend.
    fallthrough: false,
    dotfiles: 'ignore',
    etag: true,
    setHeaders: setPageHeaders,
  } as const;
  router.use(UI_PATH, express.static(rendererDir(), { ...staticOptions, index: 'index.html' }));
  router.use(PAGE_MODULES_PATH, express.static(pageModulesDir(), { ...staticOptions, index: false }));

  // Answer in plain words rather than in the Anthropic error shape the proxy uses for API calls.
  router.use([UI_PATH, PAGE_MODULES_PATH], (err: { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    const status = err.status ?? 500;
    res.status(status).type('text/plain').send(status === 404 ? 'Not found' : 'Cannot serve this file');
  });

  return router;
}
