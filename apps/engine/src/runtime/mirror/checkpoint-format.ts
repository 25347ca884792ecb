/**
 * MirrorMaker 2's checkpoint records (`<source alias>.checkpoints.internal` on the target
 * cluster), so its tooling (RemoteClusterUtils.translateOffsets, MirrorClient) reads ours.
 * Kafka's protocol types: STRING = int16 length + UTF-8, INT32/INT64 big-endian.
 *   key:   group STRING, topic STRING (the copy's name), partition INT32
 *   value: version INT16 (0), upstreamOffset INT64, offset INT64 (downstream), metadata STRING
 */
export interface Checkpoint {
  group: string;
  /** the copy's topic on the target */
  topic: string;
  partition: number;
  /** the group's committed offset on the source */
  upstreamOffset: number;
  /** where the group continues on the target */
  downstreamOffset: number;
  metadata: string;
}

const MAX_STRING = 0x7fff;

function stringBytes(s: string, what: string): Buffer {
  const b = Buffer.from(s, "utf8");
  if (b.length > MAX_STRING) throw new Error(`checkpoint ${what} is longer than ${MAX_STRING} bytes`);
  return b;
}

export function encodeCheckpointKey(c: Pick<Checkpoint, "group" | "topic" | "partition">): Buffer {
  const g = stringBytes(c.group, "group");
  const t = stringBytes(c.topic, "topic");
  const buf = Buffer.allocUnsafe(2 + g.length + 2 + t.length + 4);
  let off = buf.writeInt16BE(g.length, 0);
  off += g.copy(buf, off);
  off = buf.writeInt16BE(t.length, off);
  off += t.copy(buf, off);
  buf.writeInt32BE(c.partition, off);
  return buf;
}

export function encodeCheckpointValue(c: Pick<Checkpoint, "upstreamOffset" | "downstreamOffset" | "metadata">): Buffer {
  const m = stringBytes(c.metadata, "metadata");
  const buf = Buffer.allocUnsafe(2 + 8 + 8 + 2 + m.length);
  let off = buf.writeInt16BE(0, 0);
  off = buf.writeBigInt64BE(BigInt(c.upstreamOffset), off);
  off = buf.writeBigInt64BE(BigInt(c.downstreamOffset), off);
  off = buf.writeInt16BE(m.length, off);
  m.copy(buf, off);
  return buf;
}

/** Reads a checkpoint record; throws on a record that is not one (short, or another version). */
export function decodeCheckpoint(key: Buffer, value: Buffer): Checkpoint {
  let k = 0;
  const str = (b: Buffer, at: number): [string, number] => {
    const len = b.readInt16BE(at);
    if (len < 0 || at + 2 + len > b.length) throw new Error("checkpoint string runs past the record");
    return [b.toString("utf8", at + 2, at + 2 + len), at + 2 + len];
  };
  const [group, k1] = str(key, k);
  const [topic, k2] = str(key, k1);
  k = k2;
  const partition = key.readInt32BE(k);
  const version = value.readInt16BE(0);
  if (version !== 0) throw new Error(`checkpoint value version ${version} is not 0`);
  const upstreamOffset = Number(value.readBigInt64BE(2));
  const downstreamOffset = Number(value.readBigInt64BE(10));
  const [metadata] = str(value, 18);
  return { group, topic, partition, upstreamOffset, downstreamOffset, metadata };
}
