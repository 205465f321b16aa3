// README.md's figures come from a command's last recorded output
// (docs/bench-output/), and a line in docs/ that names a recorded command
// quotes only what it printed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { figureProblems, figures, holds, readOutputs } from './support/bench-figures.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const outputs = readOutputs(`${ROOT}docs/bench-output`);

describe('figures quoted in README.md and docs/', () => {
  it('finds the figures of a line, leaving out code, quoted UI text and versions', () => {
    assert.deepEqual(figures('direct 1.10 s [0.50–1.11], speedup 5.3x, reuse 100.0%, error 0.5 points, 30×, 3 slots'), ['1.10', '0.50', '1.11', '5.3', '100.0', '0.5', '30']);
    assert.deepEqual(figures('Claude Code 2.1.139 shows `~40 s` and "~40 s left" after 3 seconds on Node 20.11–20.18, load 11.8'), []);
    assert.deepEqual(figures('63–108 s direct'), ['63', '108']);
    assert.equal(holds('speedup 10.34x', '0.34'), false);
    assert.equal(holds('through proxy 0.34 s', '0.34'), true);
  });

  it('fails a line whose figure its command did not print, or a figure with no command', () => {
    const out = [{ command: 'npm run bench:engine', text: '$ npm run bench:engine\nengine: direct 1.10 s, speedup 5.3x' }];
    assert.deepEqual(figureProblems('`npm run bench:engine`: 1.10 s direct, 5.3x', out, true), []);
    assert.deepEqual(figureProblems('`npm run bench:engine`: 1.10 s direct, 30×', out, true), ['line 1: 30 is not in the last recorded output of `npm run bench:engine`']);
    assert.deepEqual(figureProblems('resumed turns 30× sooner', out, true), ['line 1: 30 quoted without the recorded command that printed them']);
    assert.deepEqual(figureProblems('resumed turns 30× sooner', out, false), []);
  });

  it('README.md quotes only figures its commands last printed', () => {
    assert.ok(outputs.length > 0, 'docs/bench-output/ holds the recorded runs');
    assert.deepEqual(figureProblems(fs.readFileSync(`${ROOT}README.md`, 'utf8'), outputs, true), []);
  });

  it('a line in docs/ that names a recorded command quotes only what it printed', () => {
    for (const file of fs.readdirSync(`${ROOT}docs`).filter((f) => f.endsWith('.md'))) {
      assert.deepEqual(figureProblems(fs.readFileSync(`${ROOT}docs/${file}`, 'utf8'), outputs, false), [], file);
    }
  });
});
