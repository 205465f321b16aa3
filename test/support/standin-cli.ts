// Runs the Ollama stand-in on its own, for the benchmark and for trying the
// proxy (or the real Claude Code CLI) by hand:
//   node dist/test/support/standin-cli.js [--port 11434] [--prefill-ms 200] [--token-delay-ms 20] [--tokens 12]
//       [--model qwen3-coder:30b --context-length 8192]
// With --context-length the model is loaded from the start and /api/ps reports
// that window for it, as Ollama does for a model loaded with OLLAMA_CONTEXT_LENGTH.
import { parseArgs } from 'node:util';
import { startOllamaStandin } from './ollama-standin.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '11434' },
    'prefill-ms': { type: 'string', default: '200' },
    'token-delay-ms': { type: 'string', default: '20' },
    tokens: { type: 'string', default: '12' },
    model: { type: 'string', default: 'qwen3-coder:30b' },
    'context-length': { type: 'string' },
  },
});
const contextLength = values['context-length'] === undefined ? undefined : Number(values['context-length']);
if (contextLength !== undefined && !(Number.isInteger(contextLength) && contextLength > 0)) {
  process.stderr.write(`--context-length must be a whole number of tokens, got "${values['context-length']}"\n`);
  process.exit(2);
}
const standin = await startOllamaStandin({
  port: Number(values.port),
  record: false,
  timing: { prefillMs: Number(values['prefill-ms']), tokenDelayMs: Number(values['token-delay-ms']), tokens: Number(values.tokens) },
  ...(contextLength === undefined ? {} : { models: [{ name: values.model!, contextLength }], loaded: [values.model!] }),
});
process.stdout.write(`ollama stand-in listening on ${standin.url}${contextLength === undefined ? '' : `, ${values.model} loaded with a ${contextLength}-token context`}\n`);
const stop = () => void standin.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
