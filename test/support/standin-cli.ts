// Runs the Ollama stand-in on its own, for the benchmark and for trying the
// proxy (or the real Claude Code CLI) by hand:
//   node dist/test/support/standin-cli.js [--port 11434] [--prefill-ms 200] [--token-delay-ms 20] [--tokens 12]
import { parseArgs } from 'node:util';
import { startOllamaStandin } from './ollama-standin.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '11434' },
    'prefill-ms': { type: 'string', default: '200' },
    'token-delay-ms': { type: 'string', default: '20' },
    tokens: { type: 'string', default: '12' },
  },
});
const standin = await startOllamaStandin({
  port: Number(values.port),
  record: false,
  timing: { prefillMs: Number(values['prefill-ms']), tokenDelayMs: Number(values['token-delay-ms']), tokens: Number(values.tokens) },
});
process.stdout.write(`ollama stand-in listening on ${standin.url}\n`);
const stop = () => void standin.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
