export type { RewriteMode, RewriteResult } from './types.js';
export { REWRITE_MODES } from './types.js';
export { rewriteRequestBody } from './rewrite-body.js';
export { BILLING_PREFIX, normalizeBillingLine } from './billing-line.js';
export { ScanMemo } from './scan-memo.js';
export { joinPieces, piecesLength, sliceOfPieces } from './pieces.js';
