// Seeded random Kafka messages for the kafkajs codec tests (src/kafka/adapter/*.test.ts):
// keys, values and header values as strings (ASCII, accents, CJK, emoji, lone surrogates) and
// Buffers, nulls, repeated and integer-like header keys, large values, several timestamp styles.
import type { ProduceMessage } from "../src/kafka/adapter/produce-encoder.js";

/** mulberry32: a small seeded PRNG, so a failure names its seed and can be replayed */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick };
}
export type Rng = ReturnType<typeof prng>;

const ALPHABETS = ["abcdefghij-_.", "ÄÖÜßéñ€", "日本語中文", "😀🚀", "\ud800x\udc00"] as const; // the last: lone surrogates

export function str(r: Rng, max: number): string {
  const n = r.int(max + 1);
  let s = "";
  for (let i = 0; i < n; i++) {
    const alphabet = r.next() < 0.8 ? ALPHABETS[0] : r.pick(ALPHABETS);
    s += alphabet[r.int(alphabet.length)];
  }
  return s;
}

export function bytes(r: Rng, max: number): Buffer {
  const b = Buffer.allocUnsafe(r.int(max + 1));
  for (let i = 0; i < b.length; i += 4) {
    const x = r.int(2 ** 32);
    for (let j = 0; j < 4 && i + j < b.length; j++) b[i + j] = x >>> (8 * j);
  }
  // sometimes a view into a larger buffer (non-zero byteOffset)
  return r.next() < 0.3 ? Buffer.concat([Buffer.from([1, 2, 3]), b]).subarray(3) : b;
}

export function data(r: Rng, nullable: boolean): unknown {
  const x = r.next();
  if (nullable && x < 0.1) return null;
  if (nullable && x < 0.15) return undefined;
  if (x < 0.13) return r.next() < 0.1 ? (r.next() < 0.5 ? bytes(r, 300_000) : str(r, 20_000)) : r.next() < 0.5 ? bytes(r, 3000) : str(r, 1000); // large
  return r.next() < 0.5 ? str(r, 80) : bytes(r, 80);
}

export function headers(r: Rng): unknown {
  const x = r.next();
  if (x < 0.2) return undefined;
  if (x < 0.3) return {};
  const h: Record<string, unknown> = {};
  const n = 1 + r.int(6);
  for (let i = 0; i < n; i++) {
    const key = r.next() < 0.1 ? String(r.int(20)) : r.next() < 0.1 ? str(r, 200) : str(r, 12) || "k"; // integer-like keys sort first
    h[key] = r.next() < 0.2 ? Array.from({ length: r.int(4) }, () => data(r, false)) : data(r, false);
  }
  return h;
}

export const NOW = 1_795_000_000_000;

function timestamp(r: Rng, mode: number): unknown {
  switch (mode) {
    case 0:
      return undefined;
    case 1:
      return NOW - r.int(1_000_000); // numbers
    case 2:
      return String(NOW + r.int(1_000_000) - 500_000); // strings (Kafka's convention)
    case 3: {
      const x = r.next(); // epoch numbers with repeats and gaps (null)
      return x < 0.15 ? null : NOW + r.int(4) * 1000;
    }
    default: {
      const x = r.next(); // a mix: null, 0 ("" and 0 mean "now"), other digit counts (sorted as strings by kafkajs)
      return x < 0.2 ? null : x < 0.3 ? 0 : x < 0.4 ? r.int(100_000) : x < 0.7 ? NOW + r.int(1000) : String(NOW - r.int(1000));
    }
  }
}

export function message(r: Rng, tsMode: number): ProduceMessage {
  const m: ProduceMessage = { value: data(r, true) };
  if (r.next() < 0.7) m.key = data(r, true);
  const h = headers(r);
  if (h !== undefined) m.headers = h;
  const ts = timestamp(r, tsMode);
  if (ts !== undefined || r.next() < 0.1) m.timestamp = ts;
  return m;
}
