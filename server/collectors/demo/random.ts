/** Deterministic randomness and identifiers for the demo fleet: no Math.random, no clock. */

/** cyrb128: a string to four 32-bit words, the seed of an sfc32 stream. */
function hash128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** sfc32 (Small Fast Counting PRNG): 128-bit state, good statistical quality, a few adds per draw. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seedText: string) {
    const [a, b, c, d] = hash128(seedText);
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** Integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  range(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return at(items, Math.floor(this.next() * items.length));
  }

  /** `n` distinct items, in random order (partial Fisher-Yates on a copy). */
  sample<T>(items: readonly T[], n: number): T[] {
    const pool = items.slice();
    const count = Math.min(n, pool.length);
    for (let i = 0; i < count; i++) {
      const j = this.int(i, pool.length - 1);
      const picked = at(pool, j);
      pool[j] = at(pool, i);
      pool[i] = picked;
    }
    return pool.slice(0, count);
  }
}

export class Weighted<T> {
  private readonly items: T[];
  private readonly cumulative: number[];

  constructor(entries: readonly (readonly [T, number])[]) {
    let total = 0;
    this.items = entries.map(([item]) => item);
    this.cumulative = entries.map(([, weight]) => (total += weight));
  }

  draw(rng: Rng): T {
    const x = rng.next() * at(this.cumulative, this.cumulative.length - 1);
    let i = 0;
    while (i < this.cumulative.length - 1 && at(this.cumulative, i) <= x) i++;
    return at(this.items, i);
  }
}

export function at<T>(items: readonly T[], index: number): T {
  if (index < 0 || index >= items.length) throw new RangeError(`index ${index} out of ${items.length}`);
  return items[index] as T;
}

function hex8(word: number): string {
  return (word >>> 0).toString(16).padStart(8, "0");
}

function hex2(byte: number): string {
  return (byte & 0xff).toString(16).padStart(2, "0");
}

export function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

/** murmur3's finaliser: a bijection on 32-bit words, so distinct counters give distinct words. */
function fmix32(word: number): number {
  let h = word >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** 64 hex digits derived from a name: the same name gives the same digest in every snapshot. */
export function digestOf(name: string): string {
  const rng = new Rng(name);
  let hex = "";
  for (let i = 0; i < 8; i++) hex += hex8(rng.u32());
  return hex;
}

/** 64 hex digits, unique per counter: the first word is a bijection of it, the rest random. */
export function uniqueHex(rng: Rng, counter: number, salt: number): string {
  let hex = hex8(fmix32(counter ^ salt ^ 0x5bd1e995));
  for (let i = 0; i < 7; i++) hex += hex8(rng.u32());
  return hex;
}

/** A UUID unique per counter (carried by its last word); `prefix` mimics vCenter's "42…"/"50…". */
export function uuidOf(rng: Rng, counter: number, salt: number, prefix = ""): string {
  const a = (prefix + hex8(rng.u32())).slice(0, 8);
  const b = hex8(rng.u32());
  const c = hex8(rng.u32());
  return `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${hex8(fmix32(counter ^ salt))}`;
}

/** 10.<octet>.x.y, unique per index, never .0 or .255. */
export function ipv4(octet: number, index: number): string {
  const net = Math.floor(index / 253);
  return `10.${octet + Math.floor(net / 256)}.${net % 256}.${1 + (index % 253)}`;
}

export function mac(oui: string, index: number): string {
  return `${oui}:${hex2(index >>> 16)}:${hex2(index >>> 8)}:${hex2(index)}`;
}

export const DAY_MS = 86_400_000;
