// tsc compiles the renderer's modules into dist/renderer/; the page's other
// files (html, css) are copied next to them as they are.
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ASSETS = ['index.html', 'styles.css'];
const from = fileURLToPath(new URL('../renderer/', import.meta.url));
const to = fileURLToPath(new URL('../dist/renderer/', import.meta.url));

mkdirSync(to, { recursive: true });
for (const name of ASSETS) copyFileSync(from + name, to + name);
