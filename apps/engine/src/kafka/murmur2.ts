/**
 * Kafka's default partitioner hash (the Java client's murmur2, as kafkajs computes it), in 32-bit
 * integer arithmetic. kafkajs works in emulated 64-bit `Long`s, allocating several per byte group,
 * though only the low 32 bits ever reach its result: a product's and a xor's low bits depend on
 * the operands' low bits alone. Same answers (murmur2.test.ts compares them), no allocation for
 * keys up to the scratch buffer's size.
 */
const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const scratch = Buffer.allocUnsafe(4096);

export function murmur2(key: Buffer | string): number {
  let data: Buffer;
  let length: number;
  if (typeof key === "string") {
    // a key whose UTF-8 may not fit (3 bytes per UTF-16 unit at most) gets a buffer of its own
    if (key.length * 3 <= scratch.length) {
      data = scratch;
      length = scratch.write(key, 0, "utf8");
    } else {
      data = Buffer.from(key, "utf8");
      length = data.length;
    }
  } else {
    data = key;
    length = key.length;
  }
  let h = SEED ^ length;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i << 2;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & ~3;
  switch (length & 3) {
    case 3:
      h ^= data[tail + 2]! << 16;
    // falls through
    case 2:
      h ^= data[tail + 1]! << 8;
    // falls through
    case 1:
      h ^= data[tail]!;
      h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}
