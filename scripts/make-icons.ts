// Draws the app's icons with code, so the PNGs in the repo have a source:
//   resources/tray{Running,Stopped,Error}Template.png (+ @2x): menu-bar template
//     images (black + alpha; macOS tints them for light and dark menu bars),
//     and trayTemplate.png (+ @2x), the same as the running one;
//   resources/tray{Running,Stopped,Error}Light.png (+ @2x): the same glyphs in
//     white for Windows and Linux, whose panels are mostly dark and which do
//     not tint template images;
//   build/icon.png (1024×1024) and build/icon.icns: the app icon.
// The glyph is a cache drum (a database cylinder): filled while running,
// hollow when stopped, struck through on error. Shapes are inside-tests in a
// unit square, antialiased by supersampling.
//
// Run: npx tsc -p . && node dist/scripts/make-icons.js
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';

type Shape = (x: number, y: number) => boolean;
type Rgb = readonly [number, number, number];
type TrayVariant = 'running' | 'stopped' | 'error';

const union = (...shapes: Shape[]): Shape => (x, y) => shapes.some((shape) => shape(x, y));
const minus = (shape: Shape, cut: Shape): Shape => (x, y) => shape(x, y) && !cut(x, y);

const ellipse = (cx: number, cy: number, rx: number, ry: number): Shape => (x, y) =>
  ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;

const rect = (x0: number, y0: number, x1: number, y1: number): Shape => (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1;

/** A band of half-width `w` along an ellipse's outline (first-order distance estimate, fine for thin strokes). */
const ellipseStroke = (cx: number, cy: number, rx: number, ry: number, w: number): Shape => (x, y) => {
  const dx = x - cx;
  const dy = y - cy;
  const q = (dx / rx) ** 2 + (dy / ry) ** 2 - 1;
  const gradient = Math.hypot((2 * dx) / rx ** 2, (2 * dy) / ry ** 2);
  return gradient > 0 && Math.abs(q / gradient) <= w;
};

/** Within half-width `w` of the segment a–b. */
const segment = (ax: number, ay: number, bx: number, by: number, w: number): Shape => (x, y) => {
  const vx = bx - ax;
  const vy = by - ay;
  const t = Math.max(0, Math.min(1, ((x - ax) * vx + (y - ay) * vy) / (vx * vx + vy * vy)));
  return Math.hypot(x - (ax + t * vx), y - (ay + t * vy)) <= w;
};

const roundedRect = (x0: number, y0: number, x1: number, y1: number, r: number): Shape => (x, y) => {
  const dx = Math.max(x0 + r - x, 0, x - (x1 - r));
  const dy = Math.max(y0 + r - y, 0, y - (y1 - r));
  return x >= x0 && x <= x1 && y >= y0 && y <= y1 && dx * dx + dy * dy <= r * r;
};

/** Even-odd point-in-polygon. */
const polygon = (points: readonly (readonly [number, number])[]): Shape => (x, y) => {
  let inside = false;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    const [xi, yi] = points[i];
    const [xj, yj] = points[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
};

interface Drum {
  readonly cx: number;
  readonly rx: number;
  readonly ry: number;
  readonly top: number;
  readonly bottom: number;
}

function drumBody({ cx, rx, ry, top, bottom }: Drum, inset = 0): Shape {
  return union(
    ellipse(cx, top, rx - inset, ry - inset),
    rect(cx - rx + inset, top, cx + rx - inset, bottom),
    ellipse(cx, bottom, rx - inset, ry - inset),
  );
}

/**
 * A gap of height `gap` under the lower arc of the ellipse at `cy`: the same
 * height everywhere, so it also cuts the side walls cleanly, like stacked disks.
 */
const seam = (cx: number, cy: number, rx: number, ry: number, gap: number): Shape => (x, y) => {
  const u = (x - cx) / rx;
  if (Math.abs(u) > 1) return false;
  const arc = cy + ry * Math.sqrt(1 - u * u);
  return y >= arc && y <= arc + gap;
};

/** The filled drum: a lid and two bands, separated by gaps. */
function filledDrum(drum: Drum, gap: number): Shape {
  const { cx, rx, ry, top, bottom } = drum;
  const step = (bottom - top) / 3;
  const seams = [0, 1, 2].map((i) => seam(cx, top + i * step, rx, ry, gap));
  return minus(drumBody(drum), union(...seams));
}

function hollowDrum(drum: Drum, line: number): Shape {
  const lid = ellipseStroke(drum.cx, drum.top, drum.rx - line / 2, drum.ry - line / 2, line / 2);
  return union(minus(drumBody(drum), drumBody(drum, line)), lid);
}

const TRAY_DRUM: Drum = { cx: 0.5, rx: 0.36, ry: 0.13, top: 0.23, bottom: 0.77 };

function trayGlyph(variant: TrayVariant): Shape {
  switch (variant) {
    case 'running':
      return filledDrum(TRAY_DRUM, 0.085);
    case 'stopped':
      return hollowDrum(TRAY_DRUM, 0.095);
    case 'error': {
      // A stroke from corner to corner, with a clear margin so it stays legible on the filled drum.
      const [ax, ay, bx, by] = [0.1, 0.06, 0.9, 0.94];
      return union(minus(filledDrum(TRAY_DRUM, 0.085), segment(ax, ay, bx, by, 0.14)), segment(ax, ay, bx, by, 0.06));
    }
  }
}

/** Fraction of each pixel inside the shape, from samples × samples points per pixel. */
function coverage(shape: Shape, size: number, samples: number): Float32Array {
  const out = new Float32Array(size * size);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let hits = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          if (shape((px + (sx + 0.5) / samples) / size, (py + (sy + 0.5) / samples) / size)) hits++;
        }
      }
      out[py * size + px] = hits / (samples * samples);
    }
  }
  return out;
}

function encodePng(size: number, paint: (png: PNG) => void): Buffer {
  const png = new PNG({ width: size, height: size });
  paint(png);
  return PNG.sync.write(png);
}

/** One color plus alpha: black for macOS templates, white for the dark panels of Windows and Linux. */
function glyphPng(shape: Shape, size: number, [r, g, b]: Rgb = [0, 0, 0]): Buffer {
  const alpha = coverage(shape, size, 8);
  return encodePng(size, (png) => {
    for (let i = 0; i < alpha.length; i++) {
      png.data.set([r, g, b, Math.round(alpha[i] * 255)], i * 4);
    }
  });
}

// The app icon: a colored rounded square (macOS's icon grid leaves a margin around it), a white drum, an amber bolt.
const ICON_DRUM: Drum = { cx: 0.5, rx: 0.25, ry: 0.085, top: 0.33, bottom: 0.67 };
const BOLT = polygon([[0.56, 0.33], [0.41, 0.54], [0.5, 0.54], [0.45, 0.72], [0.61, 0.48], [0.52, 0.48], [0.58, 0.33]]);
const TILE = roundedRect(0.1, 0.1, 0.9, 0.9, 0.18);
const TOP_COLOR: Rgb = [79, 70, 229];
const BOTTOM_COLOR: Rgb = [14, 165, 233];
const DRUM_COLOR: Rgb = [255, 255, 255];
const BOLT_COLOR: Rgb = [251, 191, 36];

function appIconPng(size: number): Buffer {
  const samples = size >= 512 ? 3 : 6;
  const layers: { cover: Float32Array; color: (y: number) => Rgb }[] = [
    { cover: coverage(TILE, size, samples), color: (y) => mix(TOP_COLOR, BOTTOM_COLOR, (y - 0.1) / 0.8) },
    { cover: coverage(filledDrum(ICON_DRUM, 0.03), size, samples), color: () => DRUM_COLOR },
    { cover: coverage(union(BOLT), size, samples), color: () => BOLT_COLOR },
  ];
  return encodePng(size, (png) => {
    for (let py = 0; py < size; py++) {
      for (let px = 0; px < size; px++) {
        const i = py * size + px;
        // "Over" compositing with premultiplied color, bottom layer first.
        let [r, g, b, a] = [0, 0, 0, 0];
        for (const layer of layers) {
          const alpha = layer.cover[i];
          if (alpha === 0) continue;
          const [lr, lg, lb] = layer.color((py + 0.5) / size);
          r = lr * alpha + r * (1 - alpha);
          g = lg * alpha + g * (1 - alpha);
          b = lb * alpha + b * (1 - alpha);
          a = alpha + a * (1 - alpha);
        }
        const unpremultiply = (c: number): number => (a === 0 ? 0 : Math.round(c / a));
        png.data.set([unpremultiply(r), unpremultiply(g), unpremultiply(b), Math.round(a * 255)], i * 4);
      }
    }
  });
}

function mix(from: Rgb, to: Rgb, t: number): Rgb {
  const k = Math.min(1, Math.max(0, t));
  return [0, 1, 2].map((c) => from[c] + (to[c] - from[c]) * k) as unknown as Rgb;
}

/**
 * Apple's icon container: `icns`, total length, then (type, length, PNG) entries:
 * the types iconutil fills with PNG data (16–512 pt at 1x and 2x). macOS scales
 * the 16 and 32 pt 1x sizes down from these.
 */
const ICNS_ENTRIES: readonly (readonly [type: string, size: number])[] = [
  ['ic11', 32], ['ic12', 64], ['ic07', 128], ['ic13', 256], ['ic08', 256], ['ic14', 512], ['ic09', 512], ['ic10', 1024],
];

function icns(render: (size: number) => Buffer): Buffer {
  const chunks = ICNS_ENTRIES.map(([type, size]) => {
    const png = render(size);
    const header = Buffer.alloc(8);
    header.write(type, 0, 'latin1');
    header.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([header, png]);
  });
  const header = Buffer.alloc(8);
  header.write('icns', 0, 'latin1');
  header.writeUInt32BE(8 + chunks.reduce((sum, chunk) => sum + chunk.length, 0), 4);
  return Buffer.concat([header, ...chunks]);
}

const TRAY_SIZE = 22;
const TRAY_FILES: Readonly<Record<TrayVariant, string>> = {
  running: 'trayRunning',
  stopped: 'trayStopped',
  error: 'trayError',
};
const WHITE: Rgb = [255, 255, 255];

function main(): void {
  // Compiled to dist/scripts/, two levels below the repository.
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const write = (relative: string, data: Buffer): void => {
    const file = path.join(root, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, data);
    console.log(`wrote ${relative} (${data.length} bytes)`);
  };
  for (const [variant, name] of Object.entries(TRAY_FILES) as [TrayVariant, string][]) {
    const glyph = trayGlyph(variant);
    const files = variant === 'running' ? [`${name}Template`, 'trayTemplate'] : [`${name}Template`];
    const [normal, retina] = [glyphPng(glyph, TRAY_SIZE), glyphPng(glyph, TRAY_SIZE * 2)];
    for (const file of files) {
      write(`resources/${file}.png`, normal);
      write(`resources/${file}@2x.png`, retina);
    }
    write(`resources/${name}Light.png`, glyphPng(glyph, TRAY_SIZE, WHITE));
    write(`resources/${name}Light@2x.png`, glyphPng(glyph, TRAY_SIZE * 2, WHITE));
  }
  const rendered = new Map<number, Buffer>();
  const appIcon = (size: number): Buffer => {
    const png = rendered.get(size) ?? appIconPng(size);
    rendered.set(size, png);
    return png;
  };
  write('build/icon.png', appIcon(1024));
  write('build/icon.icns', icns(appIcon));
}

main();
