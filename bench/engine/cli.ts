// `npm run engine -- --model bench --slots 1 --port 11434`: the llama.cpp
// engine on its own, so a person can point Claude Code at it
// (ANTHROPIC_BASE_URL=http://127.0.0.1:11434), directly or through the proxy.
// `--live-client 64` ends every answer with end_turn after 64 tokens, so a
// real client runs whole sessions without its max-output recovery; `--family`
// serves every name as one family (default: by the name, as Ollama's library);
// `--overflow refuse` answers a prompt longer than the context with a 400;
// `--hybrid` runs the qwen3.5 family on a generated hybrid model (real
// recurrent state and checkpoints) instead of the dense stand-in;
// `--checkpoints go-engine` gives it Ollama 0.29's checkpoints (its Go engine)
// instead of llama-server's (Ollama 0.30 and later), and answers /api/version
// as 0.29, so the proxy estimates by the same rule;
// `--disconnect after-prompt` reads a prompt to its end after its client left,
// as Ollama 0.29 and earlier did, and `--disconnect poll:0` stops at the next
// batch at once (default: Ollama's own, llama-server's poll of a second).
// `--cache-ram 0` turns off the host-memory prompt cache each runner keeps
// (default 8192 MiB, as Ollama 0.30+ runs llama-server; none with
// `--checkpoints go-engine`, as before Ollama 0.30).
import { parseArgs } from 'node:util';
import { OLLAMA_DISCONNECT, parseDisconnectRule } from './disconnect.js';
import { CHECKPOINT_ENGINES, FAMILY_NAMES, isFamilyName, type CheckpointEngine } from './families.js';
import { engineUnavailable } from './llama.js';
import { isModelSize } from './model.js';
import { cacheRamMibOf, startEngine } from './open.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'bench' },
    slots: { type: 'string', default: '1' },
    port: { type: 'string', default: '11434' },
    host: { type: 'string', default: '127.0.0.1' },
    ctx: { type: 'string', default: '32768' },
    'max-tokens': { type: 'string', default: '4' },
    threads: { type: 'string', default: '2' },
    family: { type: 'string' },
    'live-client': { type: 'string' },
    overflow: { type: 'string', default: 'truncate' },
    hybrid: { type: 'boolean', default: false },
    disconnect: { type: 'string' },
    checkpoints: { type: 'string', default: 'llama-server' },
    'cache-ram': { type: 'string' },
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
const family = values.family;
if (family !== undefined && !isFamilyName(family)) {
  console.error(`engine: --family must be one of ${FAMILY_NAMES.join(', ')}, not ${family}`);
  process.exit(2);
}
const overflow = values.overflow;
if (overflow !== 'truncate' && overflow !== 'refuse') {
  console.error(`engine: --overflow must be truncate or refuse, not ${overflow}`);
  process.exit(2);
}
const disconnect = values.disconnect === undefined ? OLLAMA_DISCONNECT : parseDisconnectRule(values.disconnect);
if (disconnect === null) {
  console.error('engine: --disconnect takes after-prompt or poll:<ms>');
  process.exit(2);
}
const checkpoints = values.checkpoints;
if (!CHECKPOINT_ENGINES.includes(checkpoints as CheckpointEngine)) {
  console.error(`engine: --checkpoints must be one of ${CHECKPOINT_ENGINES.join(', ')}, not ${checkpoints}`);
  process.exit(2);
}
const liveClient = values['live-client'] === undefined ? undefined : Number(values['live-client']);
if (liveClient !== undefined && !(Number.isInteger(liveClient) && liveClient > 0)) {
  console.error('engine: --live-client takes a number of tokens above 0');
  process.exit(2);
}
const cacheRamMib = cacheRamMibOf({ checkpoints: checkpoints as CheckpointEngine, ...(values['cache-ram'] === undefined ? {} : { cacheRamMib: Number(values['cache-ram']) }) });
if (!(Number.isInteger(cacheRamMib) && cacheRamMib >= 0)) {
  console.error('engine: --cache-ram takes a number of MiB, 0 for none');
  process.exit(2);
}
const engine = await startEngine({
  cacheRamMib,
  size,
  slots: Number(values.slots),
  contextSize: Number(values.ctx),
  host: values.host,
  port: Number(values.port),
  maxTokens: Number(values['max-tokens']),
  threads: Number(values.threads),
  overflow,
  hybrid: values.hybrid,
  checkpoints: checkpoints as CheckpointEngine,
  disconnect,
  ...(family === undefined ? {} : { family }),
  ...(liveClient === undefined ? {} : { liveClient }),
});
const mode = `${values.hybrid ? ', qwen3.5 on the hybrid model' : ''}${checkpoints === 'go-engine' ? ", Ollama < 0.30's Go-engine checkpoints" : ''}` +
  `${cacheRamMib === 0 ? ', no prompt cache' : `, prompt cache of ${cacheRamMib} MiB`}${liveClient === undefined ? '' : `, live-client (end_turn after ${liveClient} tokens)`}`;
console.log(`engine: ${size} model (${(engine.modelBytes / 1e6).toFixed(0)} MB, loaded in ${engine.loadMs} ms), ${values.slots} slot(s) of ${values.ctx} tokens, family ${family ?? 'by model name'}${mode}, on ${engine.url}`);
const stop = (): void => void engine.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
