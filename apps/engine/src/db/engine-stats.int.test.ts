import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "@millrace/testkit";
import { generateSecretKey, SecretBox } from "../secrets/index.js";
import { openDatabase, type Database } from "./index.js";

describe("engine_stats: one row per engine and deployment, aged by the database's clock", () => {
  let database: { url: string; drop(): Promise<void> };
  let db: Database;

  beforeAll(async () => {
    database = await createTestDatabase("stats");
    db = await openDatabase(database.url, "test-engine", new SecretBox([generateSecretKey()]));
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  it("a publish replaces the engine's row and restarts its age", async () => {
    const stats = db.repositories.engineStats;
    const figures = { nodes: {}, edges: {} } as never;
    await stats.publish("e1", "d1", "f1", figures);
    await stats.publish("e2", "d1", "f1", figures);
    await new Promise((r) => setTimeout(r, 300));
    await stats.publish("e1", "d1", "f1", figures);
    const rows = await stats.ofDeployment("d1");
    const age = Object.fromEntries(rows.map((r) => [r.engineId, r.ageMs]));
    expect(Object.keys(age).sort()).toEqual(["e1", "e2"]);
    expect(age.e1).toBeGreaterThanOrEqual(0);
    expect(age.e1).toBeLessThan(age.e2!);
    expect(age.e2).toBeGreaterThanOrEqual(250);
    expect(rows.find((r) => r.engineId === "e1")!.stats).toEqual(figures);
  });
});
