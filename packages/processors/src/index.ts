/**
 * Browser-safe entry: the processor specs (no pg, quickjs or node: imports are reachable from here).
 * Implementations live in `./runtime.ts`.
 */
import { z } from "zod";
import type { CatalogLike } from "@millrace/flow";
import type { ProcessorSpec } from "./sdk.js";
import { spec as generate } from "./catalog/generate/spec.js";
import { spec as kafkaSource } from "./catalog/kafka-source/spec.js";
import { spec as httpListen } from "./catalog/http-listen/spec.js";
import { spec as postgresPoll } from "./catalog/postgres-poll/spec.js";
import { spec as fileSource } from "./catalog/file-source/spec.js";
import { spec as postgresCdc } from "./catalog/postgres-cdc/spec.js";
import { spec as filter } from "./catalog/filter/spec.js";
import { spec as map } from "./catalog/map/spec.js";
import { spec as flatMap } from "./catalog/flat-map/spec.js";
import { spec as route } from "./catalog/route/spec.js";
import { spec as setHeaders } from "./catalog/set-headers/spec.js";
import { spec as setKey } from "./catalog/set-key/spec.js";
import { spec as javascript } from "./catalog/javascript/spec.js";
import { spec as kafkaSink } from "./catalog/kafka-sink/spec.js";
import { spec as postgresSink } from "./catalog/postgres-sink/spec.js";
import { spec as fileSink } from "./catalog/file-sink/spec.js";
import { spec as httpRequest } from "./catalog/http-request/spec.js";
import { spec as log } from "./catalog/log/spec.js";
import { spec as kafkaMirror } from "./catalog/kafka-mirror/spec.js";
import { spec as table } from "./catalog/table/spec.js";
import { spec as aggregate } from "./catalog/aggregate/spec.js";
import { spec as join } from "./catalog/join/spec.js";

export * from "./sdk.js";
export { compileExpression, checkExpression, jsonataTruthy, ExpressionError, type CompiledExpression, type ExprLimits } from "./expr.js";
export { ConfigError, parseConfig } from "./config.js";
export { parseNetworkRules, refusal, type NetworkPolicy, type NetworkRule } from "./net-policy.js";
export { connectionTypeOf } from "./schema.js";
export { connectionFieldsOf, type NodeConnectionType } from "@millrace/flow";

/**
 * Every processor type, in palette order: sources, transforms, sinks. This list is the one
 * registration: a type's folder `catalog/<type>/` holds its spec.ts and impl.ts, and runtime.ts
 * loads the implementation from the folder named after the type.
 */
export const specs: ProcessorSpec[] = [
  generate,
  kafkaSource,
  httpListen,
  postgresPoll,
  fileSource,
  postgresCdc,
  kafkaMirror,
  filter,
  map,
  flatMap,
  route,
  setHeaders,
  setKey,
  javascript,
  httpRequest,
  table,
  aggregate,
  join,
  kafkaSink,
  postgresSink,
  fileSink,
  log,
];

const byType = new Map(specs.map((s) => [s.type, s]));

export interface Catalog extends CatalogLike {
  specs: ProcessorSpec[];
  get(type: string): ProcessorSpec | undefined;
  list(): ProcessorSpec[];
}

export const catalog: Catalog = {
  specs,
  get: (type) => byType.get(type),
  list: () => specs.slice(),
};

export interface CatalogEntryJson {
  type: string;
  version: number;
  kind: ProcessorSpec["kind"];
  title: string;
  description: string;
  docs: string;
  hasInput: boolean;
  example: unknown;
  /** ports of the example config */
  ports: string[];
  /** whether the ports depend on the config (the spec's `dynamicPorts`) */
  dynamicPorts: boolean;
  /** JSON Schema of the config as a user writes it (defaults optional); carries `ui` hints */
  configSchema: unknown;
  /** the node reads or writes an external Kafka topic */
  externalTopic: boolean;
}

/** The catalogue as plain JSON: for `millrace catalog --json` and the UI. */
export function catalogJson(): CatalogEntryJson[] {
  return specs.map((s) => ({
    type: s.type,
    version: s.version,
    kind: s.kind,
    title: s.title,
    description: s.description,
    docs: s.docs,
    hasInput: s.hasInput,
    example: s.example,
    ports: s.outputPorts(s.example),
    dynamicPorts: s.dynamicPorts === true,
    configSchema: z.toJSONSchema(s.configSchema, { io: "input", unrepresentable: "any" }),
    externalTopic: typeof s.externalTopic === "function",
  }));
}
