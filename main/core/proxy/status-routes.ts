// Read-only views of what the proxy has seen: a JSON snapshot and a live SSE
// feed of calls as they start, get their first token and complete. Both sit
// behind the same Host/Origin/token guard.
import type { Request, Response, Router } from 'express';
import express from 'express';
import type { CallRecord, InFlightEvent, ProxyStatus, WarmUpRecord } from '../wire/types.js';

/** Keeps idle SSE connections alive through proxies and lets clients notice a dead server. */
const HEARTBEAT_MS = 15_000;

export interface StatusFeed {
  status(): ProxyStatus;
  subscribe(listener: (record: CallRecord) => void): () => void;
  /** Calls starting, getting their first token and ending. */
  subscribeInFlight(listener: (event: InFlightEvent) => void): () => void;
  /** Warm-ups as they start and end (none where the proxy runs without warm start). */
  subscribeWarmUps(listener: (record: WarmUpRecord) => void): () => void;
  /** Called when the proxy stops, so open feeds end instead of hanging. */
  onClose(listener: () => void): () => void;
}

export function statusRoutes(feed: StatusFeed): Router {
  const router = express.Router();

  router.get('/_proxy/status', (_req: Request, res: Response) => {
    res.set('cache-control', 'no-store').json(feed.status());
  });

  router.get('/_proxy/events', (req: Request, res: Response) => {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    // HEAD asks only whether the feed is there: it gets the headers, and no stream that never ends.
    if (req.method === 'HEAD') return void res.end();
    // Tell EventSource how soon to come back after the proxy restarts.
    res.write('retry: 1000\n\n');
    const unsubscribe = feed.subscribe((record) => res.write(`event: call\nid: ${record.id}\ndata: ${JSON.stringify(record)}\n\n`));
    const stopInFlight = feed.subscribeInFlight((event) => res.write(`event: ${event.type}\ndata: ${JSON.stringify(event.call)}\n\n`));
    const stopWarmUps = feed.subscribeWarmUps((record) => res.write(`event: warm-up\ndata: ${JSON.stringify(record)}\n\n`));
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    const stopOnClose = feed.onClose(() => res.end());
    req.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      stopInFlight();
      stopWarmUps();
      stopOnClose();
    });
  });

  return router;
}
