// The maintainer's check that README.md quotes only what a bench printed.
// `npm run bench:engine` and `npm run bench:prediction` keep their output in
// docs/bench-output/ when run with BENCH_RECORD=1, its first line the command.
// A figure is a number with a unit symbol (`0.34 s`, `5.3x`, `100.0%`,
// `0.5 points`) or a range of two (`[1.94–2.93]`); a setting or a constant is spelled out in words
// (`3 seconds`), and text in backticks or double quotes (code, what the UI
// shows) is not a claim.
import fs from 'node:fs';
import path from 'node:path';

/** A recorded bench run: the command that printed it, and what it printed. */
export interface RecordedOutput {
  readonly command: string;
  readonly text: string;
}

export function readOutputs(dir: string): RecordedOutput[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith('.txt')).map((f) => {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    const first = text.split('\n', 1)[0]!;
    if (!first.startsWith('$ ')) throw new Error(`${f}: its first line must be "$ <command>"`);
    return { command: first.slice(2).trim(), text };
  });
}

const NUMBER = String.raw`\d+(?:\.\d+)?`;
const UNIT = String.raw`\s?(?:s|ms|x|×|%|points)(?!\w)`;
/** A number with its unit, or a range of two (`1.94–2.93 s`, `[1.94–2.93]`). */
const FIGURE = new RegExp(String.raw`(?<![\w.])(${NUMBER})(?:–(${NUMBER})(?:\]|${UNIT})|${UNIT})|\[(${NUMBER})–(${NUMBER})\]`, 'g');

/** The figures a line of prose claims (see above). */
export function figures(line: string): string[] {
  const prose = line.replace(/`[^`]*`/g, ' ').replace(/"[^"]*"/g, ' ').replace(/\d+(?:\.\d+){2,}/g, ' ');
  return [...prose.matchAll(FIGURE)].flatMap((m) => m.slice(1).filter((g): g is string => g !== undefined));
}

/** Whether `text` holds `figure` as a number of its own (`0.34` is not in `10.34` or `0.345`). */
export function holds(text: string, figure: string): boolean {
  return new RegExp(`(?<![\\d.])${figure.replace('.', '\\.')}(?![\\d])`).test(text);
}

/**
 * What is wrong with a document's figures: a line that names a recorded
 * command may quote only figures its output holds; with `everyFigure`, a
 * line with a figure must name a recorded command.
 */
export function figureProblems(doc: string, outputs: readonly RecordedOutput[], everyFigure: boolean): string[] {
  const problems: string[] = [];
  doc.split('\n').forEach((line, i) => {
    const found = figures(line);
    if (found.length === 0) return;
    const named = [...line.matchAll(/`([^`]+)`/g)].flatMap((m) => outputs.filter((o) => o.command === m[1]!.trim()));
    if (named.length === 0) {
      if (everyFigure) problems.push(`line ${i + 1}: ${found.join(', ')} quoted without the recorded command that printed them`);
      return;
    }
    for (const f of found) {
      if (!named.some((o) => holds(o.text, f))) problems.push(`line ${i + 1}: ${f} is not in the last recorded output of \`${named[0]!.command}\``);
    }
  });
  return problems;
}
