// Reads a /v1/messages body into memory (the rewrite needs all of it) within
// two limits of the proxy's own: one body may not exceed --max-body, refused
// from its Content-Length before a byte is read; and all bodies still
// arriving together may not hold more than --max-body either, so clients that
// start large uploads and never finish them cannot take the process's memory.
// Errors are handed on shaped like body-parser's, for the server's one error
// handler. gzip, deflate and br are decoded, and the limit counts decoded bytes
// (a small compressed body can inflate a thousandfold).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { NextFunction, Request, Response } from 'express';
import { sendContinue } from './expect-continue.js';

/** Bytes held by bodies still arriving, shared by every request of one proxy. */
export class BodyBudget {
  private held = 0;

  constructor(readonly limit: number) {}

  /** Takes `bytes` from the budget; false (and nothing taken) when they do not fit. */
  take(bytes: number): boolean {
    if (this.held + bytes > this.limit) return false;
    this.held += bytes;
    return true;
  }

  give(bytes: number): void {
    this.held -= bytes;
  }

  get inUse(): number {
    return this.held;
  }
}

/** What the server's error handler reads (the fields body-parser's errors carry). */
export interface BodyError {
  readonly type: 'entity.too.large' | 'body.budget' | 'encoding.unsupported' | 'request.aborted' | 'body.unreadable';
  readonly message: string;
  readonly limit?: number;
}

function bodyError(type: BodyError['type'], message: string, limit?: number): BodyError {
  return limit === undefined ? { type, message } : { type, message, limit };
}

function decoder(encoding: string): zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | null | undefined {
  switch (encoding) {
    case '':
    case 'identity': return null;
    case 'gzip':
    case 'x-gzip': return zlib.createGunzip();
    case 'deflate': return zlib.createInflate();
    case 'br': return zlib.createBrotliDecompress();
    default: return undefined;
  }
}

function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (Number(req.headers['content-length'] ?? 0) || 0) > 0;
}

/** A refused body's remaining bytes are not worth reading: the connection ends with the answer. */
function closeAfterAnswer(res: ServerResponse): void {
  if (!res.headersSent) res.setHeader('connection', 'close');
}

function budgetError(budget: BodyBudget): BodyError {
  return bodyError('body.budget', `other request bodies still arriving hold ${budget.inUse} of the ${budget.limit} bytes the proxy takes in at once (--max-body)`);
}

export function readBody(maxBytes: number, budget: BodyBudget): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    if (!hasBody(req)) {
      req.body = Buffer.alloc(0);
      return next();
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes && req.headers['content-encoding'] === undefined) {
      closeAfterAnswer(res);
      return next(bodyError('entity.too.large', 'request entity too large', maxBytes));
    }
    const encoding = String(req.headers['content-encoding'] ?? '').trim().toLowerCase();
    const inflater = decoder(encoding);
    if (inflater === undefined) {
      closeAfterAnswer(res);
      return next(bodyError('encoding.unsupported', encoding));
    }
    // A declared length is reserved whole before a byte is read: an upload that
    // cannot fit is refused at once, rather than after it has filled memory
    // that then waits for a garbage collection.
    // (A compressed body's length only bounds what it decodes to from below: at most --max-body is reserved.)
    let taken = Number.isFinite(declared) ? Math.min(declared, maxBytes) : 0;
    if (!budget.take(taken)) {
      closeAfterAnswer(res);
      return next(budgetError(budget));
    }
    sendContinue(req, res);
    const source: Readable = inflater ? req.pipe(inflater) : req;
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const settle = (error: BodyError | null): void => {
      if (settled) return;
      settled = true;
      source.off('data', onData);
      if (inflater) {
        req.unpipe(inflater);
        inflater.destroy();
      }
      budget.give(taken);
      if (error === null) {
        req.body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received);
        return next();
      }
      if (error.type === 'request.aborted') return next(error);
      closeAfterAnswer(res);
      // Nothing more is read: let the socket's buffers fill, the client wait for the answer.
      req.pause();
      next(error);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > maxBytes) return settle(bodyError('entity.too.large', 'request entity too large', maxBytes));
      // Past what was reserved (a chunked or compressed body): reserve as it grows.
      if (received > taken) {
        if (!budget.take(received - taken)) return settle(budgetError(budget));
        taken = received;
      }
      chunks.push(chunk);
    };
    source.on('data', onData);
    source.once('end', () => settle(null));
    source.once('error', (err: Error) => settle(bodyError('body.unreadable', err.message)));
    req.once('aborted', () => settle(bodyError('request.aborted', 'request aborted')));
    req.once('close', () => {
      if (!req.complete) settle(bodyError('request.aborted', 'request aborted'));
    });
  };
}
