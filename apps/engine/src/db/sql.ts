import type pg from "pg";

/**
 * The engine's one way to write raw SQL, for what Prisma's model API cannot say: advisory locks,
 * provenance's bulk inserts of arrays, GIN and Kafka-position lookups, health pings.
 *
 * A tagged template over pg rather than Prisma's $queryRaw because these statements need a pg
 * connection of their own anyway: an advisory lock belongs to one session (Prisma hands out a
 * pooled connection per query), and provenance writes 24 arrays per statement on a pool of its
 * own, so its inserts never queue behind the API's queries and pass no translation layer. A
 * statement that must run inside a Prisma transaction (a row lock) goes through `queryIn`.
 *
 * Values become $n parameters (never text in the statement); `raw` inserts constant SQL; a
 * fragment can hold fragments. An object value used twice (an array of ids) is sent once.
 */
export class Sql {
  /** @internal */
  constructor(
    readonly strings: readonly string[],
    readonly args: readonly unknown[],
  ) {}

  /** The statement text with $1.. placeholders and its parameter values, as pg takes them. */
  toQuery(): { text: string; values: unknown[] } {
    const values: unknown[] = [];
    const index = new Map<object, number>();
    let text = "";
    const walk = (q: Sql) => {
      for (let i = 0; i < q.strings.length; i++) {
        text += q.strings[i];
        if (i === q.args.length) break;
        const a = q.args[i];
        if (a instanceof Sql) {
          walk(a);
          continue;
        }
        let n = typeof a === "object" && a !== null ? index.get(a) : undefined;
        if (n === undefined) {
          n = values.push(a);
          if (typeof a === "object" && a !== null) index.set(a, n);
        }
        text += `$${n}`;
      }
    };
    walk(this);
    return { text, values };
  }
}

export function sql(strings: TemplateStringsArray, ...args: unknown[]): Sql {
  return new Sql(strings, args);
}

/** Constant SQL (column lists, literals the code owns); never a value that came from outside. */
export function raw(text: string): Sql {
  return new Sql([text], []);
}

/** Fragments joined by a separator (e.g. the conditions of a WHERE, " AND "). */
export function join(parts: readonly Sql[], separator: string): Sql {
  if (!parts.length) return raw("");
  const strings = [""];
  for (let i = 1; i < parts.length; i++) strings.push(separator);
  strings.push("");
  return new Sql(strings, parts);
}

/** A pool, or one session (a client) when the statement needs it (advisory locks). */
export type Queryable = Pick<pg.Pool, "query"> | Pick<pg.Client, "query">;

/** Runs a statement; rows typed by the caller. */
export function query<R extends pg.QueryResultRow = pg.QueryResultRow>(on: Queryable, q: Sql): Promise<pg.QueryResult<R>> {
  return (on as pg.Pool).query<R>(q.toQuery());
}

/** What `queryIn` needs of a Prisma client or interactive transaction. */
interface PrismaRaw {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

/** Runs a statement on a Prisma interactive transaction's connection (e.g. SELECT … FOR UPDATE); rows typed by the caller. */
export function queryIn<R>(tx: PrismaRaw, q: Sql): Promise<R[]> {
  const { text, values } = q.toQuery();
  return tx.$queryRawUnsafe<R[]>(text, ...values);
}
