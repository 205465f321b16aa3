export type { RewriteMode, RewriteResult, RewriteRule } from './types.js';
export { REWRITE_MODES, rulesLabel } from './types.js';
export { rewriteRequestBody, type RewriteOptions } from './rewrite-body.js';
export { INLINE_SYSTEM_MODES, type InlineSystemMode } from './inline-system.js';
export { BILLING_PREFIX, normalizeBillingLine } from './billing-line.js';
export { ScanMemo } from './scan-memo.js';
export { joinPieces, piecesLength, sliceOfPieces } from './pieces.js';
export { sideModelMissing } from './side-model.js';
