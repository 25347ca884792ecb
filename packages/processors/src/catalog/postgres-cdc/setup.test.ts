import type pg from "pg";
import { describe, expect, it } from "vitest";
import { checkServer } from "./setup.js";

const server = (version: string, walLevel: string) => ({ query: async () => ({ rows: [{ version, wal_level: walLevel }] }) }) as unknown as pg.Client;

describe("postgres-cdc server check", () => {
  it("refuses PGlite and a server without wal_level=logical, saying what to do", async () => {
    await expect(checkServer(server("PostgreSQL 18.6 (PGlite 0.5.14) on wasm32-unknown-emscripten", "replica"))).rejects.toThrow(/embedded Postgres \(PGlite\).*no logical replication/);
    await expect(checkServer(server("PostgreSQL 15.18 on x86_64-pc-linux-gnu", "replica"))).rejects.toThrow(/wal_level is 'replica'; change data capture needs wal_level=logical/);
    await expect(checkServer(server("PostgreSQL 15.18 on x86_64-pc-linux-gnu", "logical"))).resolves.toBeUndefined();
  });
});
