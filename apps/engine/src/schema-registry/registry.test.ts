import { describe, expect, it } from "vitest";
import type { SchemaRegistryRepository } from "../db/index.js";
import type { LevelsSet, RegisterOutcome, VersionRef } from "../db/schema-registry.js";
import { parseAvroSchema } from "./avro-schema.js";
import { SchemaRegistry } from "./registry.js";
import { DEFAULT_REGISTRY_SETTINGS } from "./settings.js";

const record = (fields: object[]) => JSON.stringify({ type: "record", name: "R", fields });
const V1 = record([{ name: "id", type: "int" }]);
const V2 = record([{ name: "id", type: "int" }, { name: "a", type: ["null", "string"], default: null }]);
const V3 = record([{ name: "id", type: "int" }, { name: "a", type: ["null", "string"], default: null }, { name: "b", type: ["null", "int"], default: null }]);
const fingerprint = (text: string) => parseAvroSchema(text, DEFAULT_REGISTRY_SETTINGS).fingerprint;

/** One subject in memory, recording what the registry asked of it. */
function fakeStore(schemas: string[], levels: LevelsSet = { subject: undefined, global: undefined }) {
  const calls: string[] = [];
  const live = (): VersionRef[] => schemas.map((_, i) => ({ version: i + 1, id: 100 + i }));
  let writing = 0;
  const store = {
    calls,
    levelsSet: levels,
    maxConcurrentWrites: 0,
    /** runs inside the next write's transaction, before its look at the subject */
    beforeNextWrite: undefined as (() => void) | undefined,
    liveVersionOfSchema: async (_s: string, fp: string) => {
      calls.push("liveVersionOfSchema");
      return live().findLast((v) => fingerprint(schemas[v.id - 100]!) === fp);
    },
    liveVersions: async () => {
      calls.push("liveVersions");
      return live();
    },
    levels: async () => {
      calls.push("levels");
      return { ...store.levelsSet };
    },
    schema: async (id: number) => {
      calls.push(`schema ${id}`);
      return { id, schemaType: "AVRO", schema: schemas[id - 100]! };
    },
    register: async (_s: string, schema: { text: string }, _by: unknown, _limits: unknown, unchanged: (live: VersionRef[], levels: LevelsSet) => boolean): Promise<RegisterOutcome> => {
      calls.push("register");
      store.maxConcurrentWrites = Math.max(store.maxConcurrentWrites, ++writing);
      try {
        await new Promise((r) => setTimeout(r, 5));
        store.beforeNextWrite?.();
        store.beforeNextWrite = undefined;
        if (!unchanged(live(), { ...store.levelsSet })) return { kind: "changed" };
        schemas.push(schema.text);
        return { kind: "registered", id: 99 + schemas.length, version: schemas.length };
      } finally {
        writing--;
      }
    },
  };
  return store;
}

const registryOn = (store: ReturnType<typeof fakeStore>) => new SchemaRegistry(store as unknown as SchemaRegistryRepository, DEFAULT_REGISTRY_SETTINGS);

describe("registering (the registry's side of it)", () => {
  it("answers a schema the subject holds from its fingerprint: no write, no earlier schema read", async () => {
    const store = fakeStore([V1, V2]);
    expect(await registryOn(store).register("s", { schema: V1 }, "ed")).toEqual({ id: 100, version: 1, created: false });
    expect(store.calls).toEqual(["liveVersionOfSchema"]);
  });

  it("reads and parses only the versions the level looks at", async () => {
    const backward = fakeStore([V1, V1, V2]);
    await registryOn(backward).register("s", { schema: V3 }, "ed");
    expect(backward.calls.filter((c) => c.startsWith("schema"))).toEqual(["schema 102"]);

    const none = fakeStore([V1, V2], { subject: "NONE", global: undefined });
    await registryOn(none).register("s", { schema: V3 }, "ed");
    expect(none.calls.filter((c) => c.startsWith("schema"))).toEqual([]);

    const transitive = fakeStore([V1, V2], { subject: undefined, global: "FULL_TRANSITIVE" });
    await registryOn(transitive).register("s", { schema: V3 }, "ed");
    expect(transitive.calls.filter((c) => c.startsWith("schema"))).toEqual(["schema 100", "schema 101"]);
  });

  it("checks again when the subject or its level changed between the check and the write", async () => {
    const schemas = [V1];
    const store = fakeStore(schemas);
    const registry = registryOn(store);
    // the level turns strict under the lock: the schema is checked again under the new level and refused
    const dropsField = record([{ name: "a", type: ["null", "string"], default: null }]);
    store.beforeNextWrite = () => (store.levelsSet.subject = "FULL");
    await expect(registry.register("s", { schema: record([{ name: "id", type: "long" }]) }, "ed")).rejects.toMatchObject({ errorCode: 409, message: expect.stringContaining("FULL") });
    expect(store.calls.filter((c) => c === "levels")).toHaveLength(2);
    // another engine added a version meanwhile: checked against it too, then written
    store.levelsSet.subject = undefined;
    store.calls.length = 0;
    // (version 1 was parsed for the first registration: the cache has it)
    store.beforeNextWrite = () => void schemas.push(V2);
    expect(await registry.register("s", { schema: dropsField }, "ed")).toMatchObject({ id: 102, version: 3, created: true });
    expect(store.calls.filter((c) => c === "register" || c.startsWith("schema"))).toEqual(["register", "schema 101", "register"]);
  });

  it("lets one registration per subject at a time of this process wait for the subject's lock", async () => {
    const store = fakeStore([V1]);
    const registry = registryOn(store);
    const schemas = Array.from({ length: 10 }, (_, i) => record([{ name: "id", type: "int" }, { name: `f${i}`, type: "int", default: i }]));
    await Promise.all(schemas.map((schema) => registry.register("s", { schema }, "ed")));
    expect(store.maxConcurrentWrites).toBe(1);
    expect(store.calls.filter((c) => c === "register")).toHaveLength(10);
  });

  it("takes a level under either key, in any case (as Confluent does)", async () => {
    const set: string[] = [];
    const registry = new SchemaRegistry({ setCompatibility: async (_s: string, level: string) => void set.push(level) } as unknown as SchemaRegistryRepository, DEFAULT_REGISTRY_SETTINGS);
    expect(await registry.setConfig("s", { compatibilityLevel: "full_transitive" })).toEqual({ compatibility: "FULL_TRANSITIVE" });
    expect(await registry.setConfig(undefined, { compatibility: "Forward" })).toEqual({ compatibility: "FORWARD" });
    await expect(registry.setConfig("s", { compatibilityLevel: "sideways" })).rejects.toMatchObject({ errorCode: 42203 });
    expect(set).toEqual(["FULL_TRANSITIVE", "FORWARD"]);
  });
});
