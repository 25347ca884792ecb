/** Node-only entry: the processor implementations (pg, quickjs). Not for the browser bundle. */
import type { ProcessorImpl } from "./sdk.js";
import { impl as generate } from "./catalog/generate/impl.js";
import { impl as kafkaSource } from "./catalog/kafka-source/impl.js";
import { impl as httpListen } from "./catalog/http-listen/impl.js";
import { impl as postgresPoll } from "./catalog/postgres-poll/impl.js";
import { impl as filter } from "./catalog/filter/impl.js";
import { impl as map } from "./catalog/map/impl.js";
import { impl as flatMap } from "./catalog/flat-map/impl.js";
import { impl as route } from "./catalog/route/impl.js";
import { impl as setHeaders } from "./catalog/set-headers/impl.js";
import { impl as setKey } from "./catalog/set-key/impl.js";
import { impl as javascript } from "./catalog/javascript/impl.js";
import { impl as kafkaSink } from "./catalog/kafka-sink/impl.js";
import { impl as postgresSink } from "./catalog/postgres-sink/impl.js";
import { impl as httpRequest } from "./catalog/http-request/impl.js";
import { impl as log } from "./catalog/log/impl.js";

export const implementations: Record<string, ProcessorImpl> = Object.fromEntries(
  [generate, kafkaSource, httpListen, postgresPoll, filter, map, flatMap, route, setHeaders, setKey, javascript, kafkaSink, postgresSink, httpRequest, log].map(
    (i) => [i.type, i as ProcessorImpl],
  ),
);

export type { HttpListenSource } from "./catalog/http-listen/impl.js";
export { PostgresUnavailableError } from "./catalog/postgres-sink/impl.js";
export { isOfferableSource, isSourceProcessor } from "./sdk.js";
