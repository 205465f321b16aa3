// The `side-model` rule (`--side-model M`): sends side calls (side-call.ts)
// to another model. Ollama keys its runners by weights file, each with its own cache, so a
// title call can no longer evict the main conversation from the only slot.
// Only the `model` value changes; every other byte is passed through, and a
// body that is not a side call comes back as it was.
import { findMember, JsonScanner, type MemberSpan, type Span } from './json-scan.js';
import { joinPieces, piecesLength, sliceOfPieces } from './pieces.js';
import type { ScanMemo } from './scan-memo.js';
import { parseBodyBytes } from './body-bytes.js';
import { isSideCall } from './side-call.js';

/** The log note when the backend does not know the side model (Ollama answers 404). */
export function sideModelMissing(model: string): string {
  return `the backend has no model "${model}" for side calls; pull it (ollama pull ${model}) or change --side-model`;
}

export interface RoutedBody {
  readonly pieces: readonly Buffer[];
  readonly members: readonly MemberSpan[];
}

const EMPTY_OR_NULL = /^(?:\[\s*\]|null)$/;

function valueOf(body: Buffer, span: Span | null | undefined): unknown {
  return span ? parseBodyBytes(body.subarray(span.start, span.end)) : undefined;
}

/** The one message's role, read without parsing its (possibly long) content. */
function onlyMessageRole(body: Buffer, scanner: JsonScanner, messages: Span): unknown[] | null {
  const array = scanner.arrayElements(messages.start, 1);
  if (array === null || array.elements.length !== 1) return null;
  const element = array.elements[0]!;
  const object = scanner.objectMembers(element.start, 2);
  if (object === null) return null;
  return [{ role: valueOf(body, findMember(body, object.members, 'role')) }];
}

/**
 * The body with its `model` set to `sideModel` when it is a side call; null
 * when it is not (or is not a well-formed JSON object, or already names that model).
 */
export function routeSideCall(pieces: readonly Buffer[], members: readonly MemberSpan[] | null, sideModel: string, memo: ScanMemo | null = null): RoutedBody | null {
  const body = joinPieces(pieces);
  let root = members;
  let scanner: JsonScanner;
  if (root === null) {
    scanner = new JsonScanner(body, memo?.reuseFor(body) ?? null);
    root = scanner.rootMembers();
    if (root === null) return null;
    memo?.remember(scanner.accepted());
  } else {
    scanner = new JsonScanner(body);
  }
  const tools = findMember(body, root, 'tools');
  if (tools === null || (tools !== undefined && !EMPTY_OR_NULL.test(body.toString('latin1', tools.start, tools.end).trim()))) return null;
  const messagesSpan = findMember(body, root, 'messages');
  const model = findMember(body, root, 'model');
  if (!messagesSpan || !model) return null;
  let shape: Parameters<typeof isSideCall>[0];
  try {
    const messages = onlyMessageRole(body, scanner, messagesSpan);
    if (messages === null) return null;
    const member = (name: string): unknown => valueOf(body, findMember(body, root, name));
    shape = { messages, system: member('system'), max_tokens: member('max_tokens'), thinking: member('thinking'), output_config: member('output_config') };
  } catch {
    return null; // malformed: the backend will say so
  }
  if (!isSideCall(shape)) return null;
  const replacement = Buffer.from(JSON.stringify(sideModel), 'utf8');
  if (replacement.equals(body.subarray(model.start, model.end))) return null;
  const delta = replacement.length - (model.end - model.start);
  const shift = (span: Span): Span => (span.start >= model.end ? { start: span.start + delta, end: span.end + delta } : span);
  return {
    pieces: [sliceOfPieces(pieces, 0, model.start), replacement, sliceOfPieces(pieces, model.end, piecesLength(pieces))].filter((piece) => piece.length > 0),
    members: root.map(({ key, value }) => ({ key: shift(key), value: value === model ? { start: model.start, end: model.start + replacement.length } : shift(value) })),
  };
}
