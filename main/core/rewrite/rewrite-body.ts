// Stabilises a Claude Code /v1/messages body so its prompt prefix stays
// byte-identical between calls: the billing line at the front of `system`
// carries values that change between calls, resumes and versions, and sits at
// byte 0, where it costs the backend its whole cache; it is dropped or frozen. Only those bytes change; everything else is
// spliced through verbatim, and a body with no billing text costs one byte
// search and no parse.
import { BILLING_PREFIX, normalizeBillingLine } from './billing-line.js';
import { findMember, JsonScanner, OPEN_ARRAY, OPEN_OBJECT, QUOTE, type MemberSpan, type Span } from './json-scan.js';
import { applyEdits, elementRemovals, NOTHING, shiftMembers, type Edit } from './edits.js';
import { foldInlineSystem, foldsFor, mayHoldInlineSystem, type InlineSystemMode } from './inline-system.js';
import type { PromptFamily } from '../wire/types.js';
import { joinPieces } from './pieces.js';
import type { ScanMemo } from './scan-memo.js';
import { decodeStringContents, encodeStringContents, splitFirstLine } from './json-string-line.js';
import { routeSideCall } from './side-model.js';
import type { RewriteMode, RewriteResult, RewriteRule } from './types.js';

/**
 * A JSON string that starts with the billing prefix, as raw bytes (Claude
 * Code never escapes any of it). The quote makes the byte search skip text
 * that merely mentions the header mid-string.
 */
const BILLING_LITERAL_START = Buffer.from(`"${BILLING_PREFIX}`, 'latin1');



interface Rewrite {
  readonly edits: Edit[];
  readonly rules: Set<RewriteRule>;
  /** The billing rule removes every block of a `system` array (it held nothing else). */
  readonly emptiesSystem?: boolean;
}

type ActiveMode = Exclude<RewriteMode, 'off'>;

function unchanged(body: Buffer, members: readonly MemberSpan[] | null = null): RewriteResult {
  return { pieces: [body], body, members, changed: false, rules: [] };
}

function rewritten(pieces: readonly Buffer[], members: readonly MemberSpan[], rules: readonly RewriteRule[]): RewriteResult {
  let joined: Buffer | null = null;
  return {
    pieces,
    // Only a caller that needs one Buffer pays for the copy (tests, mostly).
    get body(): Buffer {
      return (joined ??= joinPieces(pieces));
    },
    members,
    changed: true,
    rules,
  };
}

/** Whether the value at `literal` is a string that starts with the billing prefix. */
function startsWithBillingPrefix(b: Buffer, literal: Span): boolean {
  const end = literal.start + BILLING_LITERAL_START.length;
  return end < literal.end && b.compare(BILLING_LITERAL_START, 0, BILLING_LITERAL_START.length, literal.start, end) === 0;
}

/** Drops or freezes the first line of a string literal that starts with the billing line. */
function firstLineEdit(b: Buffer, literal: Span, mode: ActiveMode): Edit | null {
  const line = splitFirstLine(b, literal);
  if (mode === 'drop') return { start: line.lineStart, end: line.restStart, replacement: NOTHING };
  const normalized = encodeStringContents(normalizeBillingLine(decodeStringContents(b, line.lineStart, line.lineEnd)));
  if (normalized === b.toString('utf8', line.lineStart, line.lineEnd)) return null;
  return { start: line.lineStart, end: line.lineEnd, replacement: Buffer.from(normalized, 'utf8') };
}

function rewriteSystemString(b: Buffer, system: Span, mode: ActiveMode): Rewrite | null {
  if (!startsWithBillingPrefix(b, system)) return null;
  const edit = firstLineEdit(b, system, mode);
  if (edit === null) return null;
  return { edits: [edit], rules: new Set([mode === 'drop' ? 'billing-line-dropped' : 'billing-line-normalized']) };
}

/** The `text` literal of a system block that starts with the billing prefix, or null. */
function billingText(b: Buffer, scanner: JsonScanner, element: Span): Span | null {
  if (b[element.start] !== OPEN_OBJECT) return null;
  // A block of the root's `system` array: nested two deep.
  const block = scanner.objectMembers(element.start, 2);
  const text = block === null ? null : findMember(b, block.members, 'text');
  return text && startsWithBillingPrefix(b, text) ? text : null;
}

/** Whether the text holds nothing but its first line (so the whole block can go). */
function isOnlyFirstLine(b: Buffer, text: Span): boolean {
  const line = splitFirstLine(b, text);
  return decodeStringContents(b, line.restStart, line.close).trim() === '';
}

function rewriteSystemArray(b: Buffer, scanner: JsonScanner, system: Span, mode: ActiveMode): Rewrite | null {
  const array = scanner.arrayElements(system.start, 1);
  if (array === null) return null;
  const edits: Edit[] = [];
  const dropped: number[] = [];
  const rules = new Set<RewriteRule>();
  // The next occurrence of the prefix within `system` (its end when there is
  // none left): only blocks that contain it are parsed, and most never do.
  // The search stops at the array's end, not the body's, which is mostly tools.
  const systemBytes = b.subarray(0, system.end);
  let nextHit = -1;
  array.elements.forEach((element, index) => {
    if (nextHit < element.start) {
      const hit = systemBytes.indexOf(BILLING_LITERAL_START, element.start);
      nextHit = hit < 0 ? system.end : hit;
    }
    if (nextHit >= element.end) return;
    const text = billingText(b, scanner, element);
    if (text === null) return;
    if (mode === 'drop' && isOnlyFirstLine(b, text)) {
      dropped.push(index);
      rules.add('billing-block-dropped');
      return;
    }
    const edit = firstLineEdit(b, text, mode);
    if (edit === null) return;
    edits.push(edit);
    rules.add(mode === 'drop' ? 'billing-line-dropped' : 'billing-line-normalized');
  });
  if (dropped.length > 0) edits.push(...elementRemovals(array.elements, dropped));
  return rules.size === 0 ? null : { edits, rules, emptiesSystem: dropped.length === array.elements.length };
}

export interface RewriteOptions {
  /** What happens to `role: "system"` entries of `messages` (default `keep`); `off` mode forwards them as sent too. */
  readonly inlineSystem?: InlineSystemMode;
  /**
   * The prompt family of the body's model, as the backend reported its
   * renderer (null: not known); the fold leaves alone a family that keeps
   * system messages where they stand.
   */
  readonly familyOf?: (model: string | null) => PromptFamily | null;
  /**
   * The model side calls go to (the `side-model` rule, side-model.ts), in
   * every mode, `off` included; absent or empty: side calls stay where they were sent.
   */
  readonly sideModel?: string | undefined;
}

/** The billing rule's edits of `system`, with the rules that fired, or null. */
function billingRewrite(body: Buffer, scanner: JsonScanner, members: readonly MemberSpan[], mode: ActiveMode): Rewrite | null {
  // A duplicated `system` key (null) is ambiguous between parsers: leave it alone.
  const system = findMember(body, members, 'system');
  if (!system) return null;
  const first = body[system.start];
  return first === QUOTE ? rewriteSystemString(body, system, mode)
    : first === OPEN_ARRAY ? rewriteSystemArray(body, scanner, system, mode)
      : null;
}

/** The body's `model`, when it is a plain string. */
function modelOf(body: Buffer, members: readonly MemberSpan[]): string | null {
  const model = findMember(body, members, 'model');
  if (!model || body[model.start] !== QUOTE) return null;
  return decodeStringContents(body, model.start + 1, model.end - 1);
}

/** The fold's edits of `messages` (and `system`), or null (a duplicated key is ambiguous, as above). */
function foldRewrite(body: Buffer, scanner: JsonScanner, members: readonly MemberSpan[], options: RewriteOptions, billing: Rewrite | null): Rewrite | null {
  if (options.familyOf && !foldsFor(options.familyOf(modelOf(body, members)))) return null;
  const messages = findMember(body, members, 'messages');
  const system = findMember(body, members, 'system') ?? null;
  const edits = messages ? foldInlineSystem(body, scanner, messages, system && { span: system, emptied: billing?.emptiesSystem === true }) : null;
  return edits === null ? null : { edits, rules: new Set(['inline-system-folded']) };
}

/**
 * Drops (`drop`) or freezes (`normalize`) the billing line at the front of the
 * body's top-level `system` (a block of the array, or the first line of a
 * string), with `inlineSystem: 'fold'` folds the `role: "system"` entries
 * of `messages` into the conversation (inline-system.ts), and with a
 * `sideModel` sends a side call to that model. When nothing applies (mode
 * `off` and no side model, no billing text in `system` and nothing to fold,
 * not a JSON object, malformed or ambiguous JSON) the very same Buffer comes
 * back with `changed: false`; otherwise bytes differing only there, as views
 * of the body around the edits, and `rules` names what fired. A body with
 * neither billing text nor a system role costs two byte searches and no
 * parse (before the side-call test, when a side model is set).
 *
 * With a memo, the scan reuses what it accepted of recent bodies wherever
 * this one has the same bytes, and remembers this one for the next.
 */
export function rewriteRequestBody(body: Buffer, mode: RewriteMode, memo: ScanMemo | null = null, options: RewriteOptions = {}): RewriteResult {
  const stable = stabilise(body, mode, memo, options);
  if (!options.sideModel) return stable;
  const routed = routeSideCall(stable.pieces, stable.members, options.sideModel, memo);
  return routed === null ? stable : rewritten(routed.pieces, routed.members, [...stable.rules, 'side-model']);
}

/** The billing and fold rules: what keeps the prompt's prefix the same from call to call. */
function stabilise(body: Buffer, mode: RewriteMode, memo: ScanMemo | null, options: RewriteOptions): RewriteResult {
  // Anything but the two active modes (`off`, or a bad value from settings) forwards as-is.
  if (mode !== 'drop' && mode !== 'normalize') return unchanged(body);
  const billing = body.indexOf(BILLING_LITERAL_START) >= 0;
  const fold = options.inlineSystem === 'fold' && mayHoldInlineSystem(body);
  if (!billing && !fold) return unchanged(body);
  const scanner = new JsonScanner(body, memo?.reuseFor(body) ?? null);
  const members = scanner.rootMembers();
  if (members === null) return unchanged(body);
  memo?.remember(scanner.accepted());
  const billingEdits = billing ? billingRewrite(body, scanner, members, mode) : null;
  const rewrites = [billingEdits, fold ? foldRewrite(body, scanner, members, options, billingEdits) : null]
    .filter((rewrite): rewrite is Rewrite => rewrite !== null);
  if (rewrites.length === 0) return unchanged(body, members);
  const edits = rewrites.flatMap((rewrite) => rewrite.edits).sort((x, y) => x.start - y.start);
  const fired = rewrites.flatMap((rewrite) => [...rewrite.rules]);
  return rewritten(applyEdits(body, edits), shiftMembers(members, edits), fired);
}
