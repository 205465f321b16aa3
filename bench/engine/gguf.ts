// A minimal GGUF v3 writer: metadata key/values and tensors, written in the
// layout llama.cpp reads (ggml/include/gguf.h): magic, version, counts, the
// key/values, the tensor infos, padding to `general.alignment`, the data.
// Only the value and tensor types our generated models use are supported.
import { closeSync, openSync, writeSync } from 'node:fs';

export type GgufValue =
  | { readonly type: 'u32'; readonly value: number }
  | { readonly type: 'i32'; readonly value: number }
  | { readonly type: 'f32'; readonly value: number }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'strings'; readonly value: readonly string[] }
  | { readonly type: 'f32s'; readonly value: Float32Array }
  | { readonly type: 'i32s'; readonly value: Int32Array };

/** ggml tensor types we write: F32 for norms, Q8_0 for weight matrices. */
export type TensorType = 'f32' | 'q8_0';

export interface TensorSpec {
  readonly name: string;
  /** ggml order: dims[0] is the row length (innermost). */
  readonly dims: readonly number[];
  readonly type: TensorType;
  /** Fills the tensor's bytes, row by row; called once when the data is written. */
  readonly fill: (out: Buffer) => void;
}

const ALIGNMENT = 32;
const GGUF_TYPE = { u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9 } as const;
const GGML_TYPE: Record<TensorType, number> = { f32: 0, q8_0: 8 };
/** Q8_0: blocks of 32 weights, each an f16 scale and 32 int8 values. */
export const Q8_0_BLOCK = 32;
const Q8_0_BYTES = 34;

export function tensorBytes(spec: Pick<TensorSpec, 'dims' | 'type'>): number {
  const count = spec.dims.reduce((a, b) => a * b, 1);
  if (spec.type === 'f32') return count * 4;
  if (spec.dims[0]! % Q8_0_BLOCK !== 0) throw new Error(`q8_0 rows must be multiples of ${Q8_0_BLOCK}`);
  return (count / Q8_0_BLOCK) * Q8_0_BYTES;
}

/** Growable little-endian byte sink for the header. */
class Bytes {
  private buf = Buffer.alloc(1 << 16);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u32(v: number): void { this.room(4); this.buf.writeUInt32LE(v, this.length); this.length += 4; }
  i32(v: number): void { this.room(4); this.buf.writeInt32LE(v, this.length); this.length += 4; }
  f32(v: number): void { this.room(4); this.buf.writeFloatLE(v, this.length); this.length += 4; }
  u64(v: number): void { this.room(8); this.buf.writeBigUInt64LE(BigInt(v), this.length); this.length += 8; }
  u8(v: number): void { this.room(1); this.buf[this.length++] = v; }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.room(b.length);
    b.copy(this.buf, this.length);
    this.length += b.length;
  }
  pad(to: number): void { while (this.length % to !== 0) this.u8(0); }
  bytes(): Buffer { return this.buf.subarray(0, this.length); }
}

function writeValue(out: Bytes, v: GgufValue): void {
  switch (v.type) {
    case 'u32': out.u32(GGUF_TYPE.u32); out.u32(v.value); return;
    case 'i32': out.u32(GGUF_TYPE.i32); out.i32(v.value); return;
    case 'f32': out.u32(GGUF_TYPE.f32); out.f32(v.value); return;
    case 'bool': out.u32(GGUF_TYPE.bool); out.u8(v.value ? 1 : 0); return;
    case 'string': out.u32(GGUF_TYPE.string); out.str(v.value); return;
    case 'strings':
      out.u32(GGUF_TYPE.array); out.u32(GGUF_TYPE.string); out.u64(v.value.length);
      for (const s of v.value) out.str(s);
      return;
    case 'f32s':
      out.u32(GGUF_TYPE.array); out.u32(GGUF_TYPE.f32); out.u64(v.value.length);
      for (const x of v.value) out.f32(x);
      return;
    case 'i32s':
      out.u32(GGUF_TYPE.array); out.u32(GGUF_TYPE.i32); out.u64(v.value.length);
      for (const x of v.value) out.i32(x);
      return;
  }
}

/** Writes a GGUF v3 file; tensor data is produced one tensor at a time, never all in memory. */
export function writeGguf(path: string, metadata: ReadonlyMap<string, GgufValue>, tensors: readonly TensorSpec[]): void {
  const head = new Bytes();
  head.u32(0x46554747); // "GGUF"
  head.u32(3);
  head.u64(tensors.length);
  head.u64(metadata.size);
  for (const [key, value] of metadata) {
    head.str(key);
    writeValue(head, value);
  }
  let offset = 0;
  for (const t of tensors) {
    head.str(t.name);
    head.u32(t.dims.length);
    for (const d of t.dims) head.u64(d);
    head.u32(GGML_TYPE[t.type]);
    head.u64(offset);
    offset += Math.ceil(tensorBytes(t) / ALIGNMENT) * ALIGNMENT;
  }
  head.pad(ALIGNMENT);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, head.bytes());
    for (const t of tensors) {
      const size = tensorBytes(t);
      const data = Buffer.alloc(Math.ceil(size / ALIGNMENT) * ALIGNMENT);
      t.fill(data.subarray(0, size));
      writeSync(fd, data);
    }
  } finally {
    closeSync(fd);
  }
}

/** IEEE half-precision bits of a small positive number (normal range only). */
export function f16Bits(x: number): number {
  const f = new Float32Array([x]);
  const bits = new Uint32Array(f.buffer)[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = ((bits >>> 23) & 0xff) - 127 + 15;
  const mant = (bits >>> 13) & 0x3ff;
  if (exp <= 0 || exp >= 31) throw new Error(`f16 out of range: ${x}`);
  return sign | (exp << 10) | mant;
}

/** Deterministic 32-bit xorshift stream (seeded), fast enough for 100+ MB of weights. */
export function xorshift32(seed: number): () => number {
  let s = (seed >>> 0) || 0x9e3779b9;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
}

/** Q8_0 data of uniform random int8 weights with one scale: weight std = scale × 73.9. */
export function randomQ8_0(next: () => number, scale: number): (out: Buffer) => void {
  const d = f16Bits(scale);
  return (out) => {
    for (let block = 0; block < out.length; block += Q8_0_BYTES) {
      out.writeUInt16LE(d, block);
      for (let i = block + 2; i < block + Q8_0_BYTES; i += 4) {
        const r = next();
        out[i] = r & 0xff; out[i + 1] = (r >>> 8) & 0xff; out[i + 2] = (r >>> 16) & 0xff; out[i + 3] = r >>> 24;
      }
    }
  };
}

/** F32 data, every element `value` (RMS-norm weights of 1). */
export function constantF32(value: number): (out: Buffer) => void {
  return (out) => {
    for (let i = 0; i < out.length; i += 4) out.writeFloatLE(value, i);
  };
}
