import { describe, expect, it } from "vitest";
import { debeziumEncoder, millraceEncoder, type ChangeTx } from "./changes.js";
import type { CapturedTable } from "./setup.js";

const table = (keyColumns: string[]): CapturedTable => ({
  name: "public.orders",
  schema: "public",
  table: "orders",
  keyColumns,
  hasPrimaryKey: keyColumns.length > 0,
  columns: ["id", "region", "status"],
  overrides: new Map(),
  replicaIdentity: "default",
});
const tx = (commitTime: string): ChangeTx => ({ lsn: "0/16B3748", lsnNumber: 0x16b3748, txId: 771, commitTime });

describe("postgres-cdc change records", () => {
  it("keys a record by its key columns as a JSON object, in key order", () => {
    const encode = millraceEncoder();
    const t = tx("2026-01-02T03:04:05.123456Z");
    expect(encode("c", null, { id: 42, region: "eu", status: "new" }, table(["id"]), t).key).toBe('{"id":42}');
    expect(encode("u", null, { id: 42, region: 'e"u', status: "new" }, table(["region", "id"]), t).key).toBe(JSON.stringify({ region: 'e"u', id: 42 }));
    expect(encode("d", { id: "9007199254740993" }, null, table(["id", "region"]), t).key).toBe('{"id":"9007199254740993","region":null}');
    expect(encode("c", null, { id: 1 }, table([]), t).key).toBeUndefined();
  });

  it("writes each change's own transaction's commit time as Debezium's source.ts_ms", () => {
    const encode = debeziumEncoder("flow", "db");
    const first = tx("2026-01-02T03:04:05.123456Z");
    const second = tx("2026-01-02T03:04:06.000000Z");
    const ts = (t: ChangeTx) => (encode("c", null, { id: 1 }, table(["id"]), t).value as { source: { ts_ms: number } }).source.ts_ms;
    expect([ts(first), ts(first), ts(second), ts(first)]).toEqual([Date.parse("2026-01-02T03:04:05.123Z"), Date.parse("2026-01-02T03:04:05.123Z"), Date.parse("2026-01-02T03:04:06Z"), Date.parse("2026-01-02T03:04:05.123Z")]);
  });
});
