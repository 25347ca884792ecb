import { describe, expect, it } from "vitest";
import { PgoutputPlugin } from "pg-logical-replication";
import { configSchema } from "./spec.js";
import { lsnToNumber, numberToLsn } from "./lsn.js";
import { pgTimeToIso } from "./changes.js";
import { arrayParser, parserFor } from "./values.js";

describe("postgres-cdc values", () => {
  it("parses Postgres text output without losing precision", () => {
    expect(parserFor(1700)("123456789012345678901234.5678")).toBe("123456789012345678901234.5678");
    expect(parserFor(20)("9007199254740991")).toBe(9007199254740991);
    expect(parserFor(20)("-9223372036854775808")).toBe("-9223372036854775808");
    expect(parserFor(701)("NaN")).toBe("NaN");
    expect(parserFor(1184)("2026-01-02 03:04:05.123456+00")).toBe("2026-01-02T03:04:05.123456Z");
    expect(parserFor(1184)("infinity")).toBe("infinity");
    expect(parserFor(17)("\\x00ff")).toBe("AP8=");
    expect(parserFor(99999, "mood")("happy")).toBe("happy");
  });
  it("parses arrays: nested, quoted, escaped, NULL, empty, with bounds", () => {
    expect(parserFor(1007)("{{1,2},{3,NULL}}")).toEqual([[1, 2], [3, null]]);
    expect(parserFor(1009)('{"a,b","c\\\\d","e\\"f","NULL",NULL}')).toEqual(["a,b", "c\\d", 'e"f', "NULL", null]);
    expect(parserFor(1009)("{}")).toEqual([]);
    expect(arrayParser((t) => t)("[0:1]={x,y}")).toEqual(["x", "y"]);
    expect(parserFor(3807)('{"{\\"a\\":1}"}')).toEqual([{ a: 1 }]);
    expect(parserFor(99998, "_mood")("{sad,happy}")).toEqual(["sad", "happy"]);
  });
  it("converts LSNs and commit times", () => {
    expect(lsnToNumber("1/2")).toBe(2 ** 32 + 2);
    expect(numberToLsn(lsnToNumber("AB/CDEF0123"))).toBe("AB/CDEF0123");
    expect(pgTimeToIso(946_684_800_000_000n)).toBe("2000-01-01T00:00:00.000000Z");
    expect(pgTimeToIso(1_767_323_045_123_456n)).toBe("2026-01-02T03:04:05.123456Z");
  });
  it("reads a transaction's commit time as the server wrote it", () => {
    // a pgoutput Begin: 'B', final LSN, commit time (µs since 2000-01-01), xid
    const begin = Buffer.alloc(21);
    begin.write("B", 0);
    begin.writeBigUInt64BE(0x16b3748n, 1);
    begin.writeBigInt64BE(1_767_323_045_123_456n - 946_684_800_000_000n, 9);
    begin.writeUInt32BE(771, 17);
    const msg = new PgoutputPlugin({ protoVersion: 1, publicationNames: [] }).parse(begin);
    if (msg.tag !== "begin") throw new Error(`parsed as ${msg.tag}`);
    expect(pgTimeToIso(msg.commitTime as bigint)).toBe("2026-01-02T03:04:05.123456Z");
  });
  it("validates its config with path-named messages", () => {
    const issues = (c: unknown) => {
      const r = configSchema.safeParse(c);
      return r.success ? "" : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n");
    };
    expect(issues({ url: "#{db}", tables: ["orders"] })).toMatch(/tables.0: a table is schema-qualified/);
    expect(issues({ url: "#{db}", tables: [] })).toMatch(/tables: name at least one table/);
    expect(issues({ tables: ["public.a"] })).toMatch(/url: give url or connection/);
    expect(issues({ url: "#{db}", tables: ["public.a"], keys: { "public.b": ["id"] } })).toMatch(/keys.public.b: keys names public.b, which is not in tables/);
    expect(issues({ url: "#{db}", tables: ["public.a"], snapshot: "sometimes" })).toMatch(/snapshot: snapshot is initial or never/);
    expect(issues({ url: "#{db}", tables: ["public.a"], columnTypes: { "public.b.x": "number" } })).toMatch(/columnTypes.public.b.x: columnTypes names a column of public.b, which is not in tables/);
    expect(issues({ url: "#{db}", tables: ["public.a"], columnTypes: { "public.a.x": "float" } })).toMatch(/columnTypes.public.a.x: a column's type is text, number or json/);
    expect(issues({ url: "#{db}", tables: ['"My Schema"."Orders"'], envelope: "debezium" })).toBe("");
  });
});
