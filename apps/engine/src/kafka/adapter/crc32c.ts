// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as Kafka's RecordBatch v2 uses it.
// Slicing-by-16 (sixteen 256-entry tables, 16 bytes per step, little-endian words read through a
// DataView) instead of kafkajs's one table lookup per byte: ~3× less CPU per 256 KiB batch here.
// Same results: the unit test compares it with kafkajs's crc32C over random buffers.

const POLY = 0x82f63b78;

/** T[k * 256 + n]: the CRC contribution of byte n followed by k zero bytes. */
const T = new Int32Array(16 * 256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  T[n] = c;
}
for (let n = 0; n < 256; n++) {
  let c = T[n]!;
  for (let k = 1; k < 16; k++) {
    c = T[c & 0xff]! ^ (c >>> 8);
    T[k * 256 + n] = c;
  }
}

/** CRC-32C of buf[start, end) as an unsigned 32-bit number. */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = -1;
  let i = start;
  const end16 = end - ((end - start) & 15);
  if (i < end16) {
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    while (i < end16) {
      const a = crc ^ dv.getInt32(i, true);
      const b = dv.getInt32(i + 4, true);
      const c = dv.getInt32(i + 8, true);
      const d = dv.getInt32(i + 12, true);
      crc =
        T[3840 + (a & 0xff)]! ^ T[3584 + ((a >>> 8) & 0xff)]! ^ T[3328 + ((a >>> 16) & 0xff)]! ^ T[3072 + (a >>> 24)]! ^
        T[2816 + (b & 0xff)]! ^ T[2560 + ((b >>> 8) & 0xff)]! ^ T[2304 + ((b >>> 16) & 0xff)]! ^ T[2048 + (b >>> 24)]! ^
        T[1792 + (c & 0xff)]! ^ T[1536 + ((c >>> 8) & 0xff)]! ^ T[1280 + ((c >>> 16) & 0xff)]! ^ T[1024 + (c >>> 24)]! ^
        T[768 + (d & 0xff)]! ^ T[512 + ((d >>> 8) & 0xff)]! ^ T[256 + ((d >>> 16) & 0xff)]! ^ T[d >>> 24]!;
      i += 16;
    }
  }
  while (i < end) crc = T[(crc ^ buf[i++]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}
