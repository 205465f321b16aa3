// `npm run engine -- --model bench --slots 1 --port 11434`: the llama.cpp
// engine on its own, so a person can point Claude Code at it
// (ANTHROPIC_BASE_URL=http://127.0.0.1:11434), directly or through the proxy.
import { parseArgs } from 'node:util';
import { engineUnavailable } from './llama.js';
import { isModelSize } from './model.js';
import { startEngine } from './open.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'bench' },
    slots: { type: 'string', default: '1' },
    port: { type: 'string', default: '11434' },
    host: { type: 'string', default: '127.0.0.1' },
    ctx: { type: 'string', default: '32768' },
    'max-tokens': { type: 'string', default: '4' },
    threads: { type: 'string', default: '2' },
  },
});

const why = engineUnavailable();
if (why !== null) {
  console.error(`engine: ${why}`);
  process.exit(1);
}
const size = values.model;
if (!isModelSize(size)) {
  console.error(`engine: --model must be bench or test, not ${size}`);
  process.exit(2);
}
const engine = await startEngine({
  size,
  slots: Number(values.slots),
  contextSize: Number(values.ctx),
  host: values.host,
  port: Number(values.port),
  maxTokens: Number(values['max-tokens']),
  threads: Number(values.threads),
});
console.log(`engine: ${size} model (${(engine.modelBytes / 1e6).toFixed(0)} MB, loaded in ${engine.loadMs} ms), ${values.slots} slot(s) of ${values.ctx} tokens, on ${engine.url}`);
const stop = (): void => void engine.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
