import { describe, expect, it } from "vitest";
import { PgoutputPlugin, type Pgoutput } from "pg-logical-replication";
import { decodeRowChange, knownRelation, type KnownRelation } from "./row-changes.js";
import { parserFor } from "./values.js";

/** pgoutput messages as the server writes them (protocol 1). */
const int16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const cstr = (s: string) => Buffer.concat([Buffer.from(s, "utf8"), Buffer.from([0])]);
const byte = (c: string) => Buffer.from(c, "latin1");

type Cell = string | null | "<toast>";
function tuple(cells: Cell[]): Buffer {
  return Buffer.concat([
    int16(cells.length),
    ...cells.map((c) => {
      if (c === null) return byte("n");
      if (c === "<toast>") return byte("u");
      const text = Buffer.from(c, "utf8");
      return Buffer.concat([byte("t"), int32(text.length), text]);
    }),
  ]);
}

const OID = 16_385;
function relationMessage(columns: { name: string; type: number; key?: boolean }[]): Buffer {
  return Buffer.concat([
    byte("R"),
    int32(OID),
    cstr("public"),
    cstr("orders"),
    byte("d"),
    int16(columns.length),
    ...columns.map((c) => Buffer.concat([Buffer.from([c.key ? 1 : 0]), cstr(c.name), int32(c.type), int32(-1)])),
  ]);
}

/** The library's parser and our decoder, both given the same relation with the same column parsers. */
function both(columns: { name: string; type: number; key?: boolean }[]) {
  const parser = new PgoutputPlugin({ protoVersion: 1, publicationNames: [] });
  const relation = parser.parse(relationMessage(columns)) as Pgoutput.MessageRelation;
  for (const c of relation.columns) c.parser = parserFor(c.typeOid);
  const relations = new Map<number, KnownRelation>([[OID, knownRelation(relation)]]);
  return (message: Buffer) => {
    // the decoder reads at an offset inside a larger chunk (after the XLogData header)
    const chunk = Buffer.concat([Buffer.alloc(25, 7), message]);
    const ours = decodeRowChange(chunk, 25, relations);
    const theirs = parser.parse(message);
    return { ours, theirs };
  };
}

const COLUMNS = [
  { name: "id", type: 20, key: true },
  { name: "status", type: 25 },
  { name: "amount", type: 1700 },
  { name: "tags", type: 1009 },
  { name: "doc", type: 3802 },
];

describe("postgres-cdc row changes", () => {
  it("decodes inserts, updates (new only, key, old row, unchanged TOAST) and deletes as pg-logical-replication's parser does", () => {
    const decode = both(COLUMNS);
    const row: Cell[] = ["42", "naïve ✓ 🚀", "10.50", '{a,"b c",NULL}', '{"x":[1,2]}'];
    const cases = [
      Buffer.concat([byte("I"), int32(OID), byte("N"), tuple(row)]),
      Buffer.concat([byte("I"), int32(OID), byte("N"), tuple(["1", null, null, null, null])]),
      Buffer.concat([byte("U"), int32(OID), byte("N"), tuple(["42", "paid", "11", "{}", "<toast>"])]),
      Buffer.concat([byte("U"), int32(OID), byte("K"), tuple(["41", null, null, null, null]), byte("N"), tuple(row)]),
      Buffer.concat([byte("U"), int32(OID), byte("O"), tuple(row), byte("N"), tuple(["42", "paid", "10.50", "{}", "<toast>"])]),
      Buffer.concat([byte("D"), int32(OID), byte("K"), tuple(["42", null, null, null, null])]),
      Buffer.concat([byte("D"), int32(OID), byte("O"), tuple(row)]),
    ];
    for (const message of cases) {
      const { ours, theirs } = decode(message);
      expect(ours).toEqual(theirs);
      expect(ours?.relation).toBe((theirs as Pgoutput.MessageInsert).relation);
      // the same keys in the same order: the serialised record is byte for byte the same
      const json = (m: unknown) => JSON.stringify(m, (k, v: unknown) => (k === "relation" ? undefined : v));
      expect(json(ours)).toBe(json(theirs));
    }
    const update = decode(cases[4]).ours as Pgoutput.MessageUpdate;
    expect(update.new.doc).toEqual({ x: [1, 2] }); // unchanged TOAST: the old row's value
    expect(update.new.status).toBe("paid");
    expect(Object.getPrototypeOf(update.new)).toBe(Object.prototype);
  });

  it("leaves a relation it was not told about to the parser, and keeps a __proto__ column a column", () => {
    const decode = both([{ name: "id", type: 23, key: true }, { name: "__proto__", type: 25 }]);
    const unknown = Buffer.concat([Buffer.alloc(25), byte("I"), int32(OID + 1), byte("N"), tuple(["1", "x"])]);
    expect(decodeRowChange(unknown, 25, new Map())).toBeUndefined();
    const { ours } = decode(Buffer.concat([byte("I"), int32(OID), byte("N"), tuple(["1", "polluted"])]));
    const row = (ours as Pgoutput.MessageInsert).new;
    expect(Object.keys(row)).toEqual(["id", "__proto__"]);
    expect(row.__proto__).toBe("polluted");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
