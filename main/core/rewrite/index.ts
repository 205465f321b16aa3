export type { RewriteMode, RewriteResult } from './types.js';
export { REWRITE_MODES } from './types.js';
export { rewriteRequestBody, type RewriteRules } from './rewrite-body.js';
export { INLINE_SYSTEM_MODES, INLINE_SYSTEM_RULE, type InlineSystemMode } from './inline-system.js';
export { BILLING_PREFIX, normalizeBillingLine } from './billing-line.js';
export { ScanMemo } from './scan-memo.js';
export { joinPieces, piecesLength, sliceOfPieces } from './pieces.js';
