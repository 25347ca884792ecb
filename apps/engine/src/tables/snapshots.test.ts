import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { logger } from "../log.js";
import { TableSnapshots } from "./snapshots.js";

describe("TableSnapshots", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "mr-snapshots-unit-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("deletes the temporary stores of folds a killed engine left, and nothing else", async () => {
    mkdirSync(join(dataDir, "tmp", "snapshot-1b2c", "0"), { recursive: true });
    mkdirSync(join(dataDir, "tmp", "other"), { recursive: true });
    const snapshots = new TableSnapshots({ dataDir, engineId: "e1", settings: { directory: join(dataDir, "snapshots"), keep: 3, maxBytes: 1024, checkMs: 1000 }, log: logger } as never);
    await snapshots.removeLeftovers();
    expect(existsSync(join(dataDir, "tmp", "snapshot-1b2c"))).toBe(false);
    expect(existsSync(join(dataDir, "tmp", "other"))).toBe(true);
    // no tmp directory at all: nothing to do
    await new TableSnapshots({ dataDir: join(dataDir, "fresh") } as never).removeLeftovers();
  });
});
