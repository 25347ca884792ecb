/**
 * Postgres text output → JSON values, for the captured rows. The replication and snapshot
 * sessions run with DateStyle ISO, TimeZone UTC and extra_float_digits 3 (SESSION_OPTIONS), so the
 * text forms parsed here are fixed. Nothing loses precision: what JSON cannot hold exactly stays text.
 */

export type TextParser = (text: string) => unknown;

/** libpq `options` for every session of the source: the text forms the parsers below expect. */
export const SESSION_OPTIONS = "-c DateStyle=ISO,YMD -c TimeZone=UTC -c extra_float_digits=3 -c IntervalStyle=iso_8601";

const asText: TextParser = (t) => t;
const asBool: TextParser = (t) => t === "t";
const asInt: TextParser = (t) => Number(t);
const asBigint: TextParser = (t) => {
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : t;
};
const asFloat: TextParser = (t) => {
  const n = Number(t);
  return Number.isFinite(n) ? n : t; // NaN, Infinity stay text: JSON has no such numbers
};
const asJson: TextParser = (t) => JSON.parse(t);
// "2026-01-02 03:04:05.123456+00" → "2026-01-02T03:04:05.123456Z"; infinity stays as is
const asTimestamptz: TextParser = (t) => (t.endsWith("+00") ? t.slice(0, -3).replace(" ", "T") + "Z" : t.replace(" ", "T"));
const asTimestamp: TextParser = (t) => t.replace(" ", "T");
const asBytea: TextParser = (t) => (t.startsWith("\\x") ? Buffer.from(t.slice(2), "hex").toString("base64") : t);

/** What a column's mapping can be set to, in place of its type's (a per-column override). */
export const OVERRIDES = {
  /** the Postgres text as is */
  text: asText,
  /** a JSON number (digits beyond a double's precision are lost: the user chose so) */
  number: (t: string) => {
    const n = Number(t);
    return Number.isFinite(n) ? n : t;
  },
  /** text holding JSON, parsed */
  json: (t: string) => {
    try {
      return JSON.parse(t) as unknown;
    } catch {
      return t;
    }
  },
} satisfies Record<string, TextParser>;
export type ColumnOverride = keyof typeof OVERRIDES;

/** Element parsers by type oid (the built-in types with a faithful JSON form). */
const SCALARS = new Map<number, TextParser>([
  [16, asBool],
  [17, asBytea],
  [20, asBigint],
  [21, asInt],
  [23, asInt],
  [26, asInt],
  [114, asJson],
  [700, asFloat],
  [701, asFloat],
  [1114, asTimestamp],
  [1184, asTimestamptz],
  [3802, asJson],
]);

/** Array type oid → element type oid, for the built-in array types. */
export const ARRAYS = new Map<number, number>([
  [1000, 16], [1001, 17], [1016, 20], [1005, 21], [1007, 23], [1028, 26], [199, 114], [1021, 700], [1022, 701],
  [1115, 1114], [1185, 1184], [3807, 3802], [1231, 1700], [1009, 25], [1015, 1043], [1014, 1042], [2951, 2950],
  [1182, 1082], [1183, 1083], [1187, 1186], [1041, 869], [1040, 829],
]);

/**
 * The parser of a column of type `typeOid`. `typeName` is what the server sent in a Type message
 * for a type outside the built-ins (an enum, a domain, an array of one: its name starts with `_`).
 */
export function parserFor(typeOid: number, typeName?: string | null): TextParser {
  const scalar = SCALARS.get(typeOid);
  if (scalar) return scalar;
  const element = ARRAYS.get(typeOid);
  if (element !== undefined) return arrayParser(SCALARS.get(element) ?? asText);
  if (typeName?.startsWith("_")) return arrayParser(asText);
  return asText;
}

/** Parses a Postgres array literal (`{1,2,NULL}`, `{{"a b","c\"d"},{e,f}}`) into nested arrays. */
export function arrayParser(element: TextParser): TextParser {
  return (text) => {
    let i = 0;
    // a dimension decoration ("[0:1]={…}") is skipped: only the elements matter
    if (text[0] === "[") i = text.indexOf("=") + 1;
    const parseLevel = (): unknown[] => {
      const out: unknown[] = [];
      i++; // "{"
      if (text[i] === "}") {
        i++;
        return out;
      }
      for (;;) {
        if (text[i] === "{") out.push(parseLevel());
        else if (text[i] === '"') {
          let s = "";
          i++;
          while (text[i] !== '"') {
            if (text[i] === "\\") i++;
            s += text[i++];
          }
          i++;
          out.push(element(s));
        } else {
          let end = i;
          while (text[end] !== "," && text[end] !== "}") end++;
          const raw = text.slice(i, end);
          i = end;
          out.push(raw === "NULL" ? null : element(raw));
        }
        if (text[i] === ",") i++;
        else {
          i++; // "}"
          return out;
        }
      }
    };
    return parseLevel();
  };
}
