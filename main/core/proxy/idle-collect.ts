// Hands memory back once the proxy goes quiet. After a burst of calls V8
// keeps the heap it grew for them until its memory reducer decides to shrink
// it, and on some runs that never comes (docs/memory.md): an app that runs for
// weeks would keep its busiest hour's memory. One full collection after a
// quiet spell settles it.
import v8 from 'node:v8';
import vm from 'node:vm';

type Gc = () => void;

let gc: Gc | null | undefined;

/** V8's collector: exposed to a fresh context, the only way Node offers it without a command-line flag. */
function v8Collector(): Gc | null {
  if (gc === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as Gc;
    } catch {
      gc = null;
    }
  }
  return gc;
}

/**
 * A full collection; false where the collector cannot be had. After a quiet
 * spell V8 also shrinks its young generation, which is sized by the recent
 * allocation rate. (Node 20's V8 makes a minor collection of a call with
 * options, so there are none.)
 */
export function collectGarbage(): boolean {
  const collect = v8Collector();
  if (collect === null) return false;
  collect();
  return true;
}

/** Collects once, `idleMs` after the last activity; nothing while there is none. */
export class IdleCollector {
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly idleMs: number,
    private readonly collect: () => unknown = collectGarbage,
  ) {}

  /** Something finished (a request): the quiet spell starts over. */
  activity(): void {
    if (!(this.idleMs > 0)) return;
    if (this.#timer !== null) {
      this.#timer.refresh();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.collect();
    }, this.idleMs);
    // Never what keeps a stopping process alive.
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
