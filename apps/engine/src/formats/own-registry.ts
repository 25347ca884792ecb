import { RegistryError } from "../schema-registry/errors.js";
import type { SchemaRegistry } from "../schema-registry/registry.js";
import type { SchemaStore } from "./schema-store.js";

/** Who registers a sink's schema when a flow starts, in the registry's records. */
const ENGINE_AUTHOR = "millrace-engine";

const stores = new WeakMap<SchemaRegistry, SchemaStore>();

/** The engine's own registry (the same rules and tables as its REST API) as a flow's schema store, without HTTP; one per registry, so its schema cache is shared. */
export function ownRegistryStore(registry: SchemaRegistry): SchemaStore {
  let store = stores.get(registry);
  if (!store) stores.set(registry, (store = makeStore(registry)));
  return store;
}

function makeStore(registry: SchemaRegistry): SchemaStore {
  return {
    name: "the engine's schema registry",
    async byId(id) {
      return (await registry.schemaById(id)).schema;
    },
    async version(subject, version = "latest") {
      const v = await registry.version(subject, version);
      return { id: v.id, version: v.version, schema: v.schema };
    },
    async incompatibilities(subject, schema) {
      try {
        return (await registry.checkCompatibility(subject, undefined, { schema, schemaType: "AVRO" })).messages;
      } catch (e) {
        // a subject with no version yet: anything may be its first
        if (e instanceof RegistryError && e.errorCode === 40401) return [];
        throw e;
      }
    },
    async register(subject, schema) {
      const { id } = await registry.register(subject, { schema, schemaType: "AVRO" }, ENGINE_AUTHOR);
      return { id };
    },
  };
}
