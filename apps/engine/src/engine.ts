import type { Server } from "node:http";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { catalog } from "@millrace/processors";
import { closeUserCodePool, configureUserCodePool } from "@millrace/processors/runtime";
import { appRouter } from "./api/router.js";
import type { Context } from "./api/trpc.js";
import { cameOverHttps, clearedSessionCookie, createIdentity, ensureFirstAdmin, oidcRoutes, sessionCookie } from "./auth/index.js";
import { DEFAULT_HTTP_SETTINGS, userCodeWorkersFromEnv, type EngineConfig, type HttpSettings } from "./config.js";
import { openDatabase } from "./db/index.js";
import { handleHttpIngest, startDeployments } from "./deployments/index.js";
import { checkHealth, withDiskCheck } from "./health.js";
import { DiskGuard } from "./disk-guard/index.js";
import { AuditLog } from "./audit/index.js";
import { logger } from "./log.js";
import { loadSecrets } from "./secrets/index.js";
import { crossSiteRefusal } from "./http/cross-site.js";
import { createHostCheck } from "./http/host-check.js";
import { createHttpServer, refuse } from "./http/server.js";
import { serveStatic } from "./http/static.js";
import { createEngineMetrics } from "./metrics/index.js";
import { provenanceBoundsFromEnv, startProvenance } from "./provenance/index.js";
import type { PlanLookup } from "./provenance/plans.js";
import type { Services } from "./services.js";
import { WorkerPool } from "./workers/pool.js";
import { Connections } from "./connections/index.js";
import { registrySettingsFromEnv, SchemaRegistry, schemaRegistryRoutes } from "./schema-registry/index.js";
import { startTableSnapshots } from "./tables/snapshot-schedule.js";

export interface RunningEngine {
  url: string;
  port: number;
  services: Services;
  close(): Promise<void>;
}

/** Migrates the database, wires the services and serves HTTP: tRPC at /trpc, /healthz, the web app at /. */
export async function startEngine(config: EngineConfig): Promise<RunningEngine> {
  const secrets = loadSecrets({ key: config.secretKey, keyFile: config.secretKeyFile });
  if (secrets.source.kind === "file" && secrets.source.created) logger.info({ module: "secrets", keyFile: secrets.source.path }, `created the secret key file ${secrets.source.path} (mode 0600): it seals the flows' sensitive parameter values; back it up, without it they cannot be read`);
  if (secrets.source.kind === "ephemeral") logger.warn({ module: "secrets" }, "no secret key configured (MILLRACE_SECRET_KEY or a key file): sensitive parameter values saved now cannot be read after this process ends");
  const userCodeWorkers = userCodeWorkersFromEnv();
  if (userCodeWorkers !== undefined) configureUserCodePool({ workers: userCodeWorkers });
  const db = await openDatabase(config.databaseUrl, config.engineId, secrets.box);
  const { repositories } = db;
  const diskGuard = config.diskGuard ? new DiskGuard(config.diskGuard, logger.child({ module: "disk-guard", engineId: config.engineId })) : undefined;
  // measured before the flows start, so no source runs a batch on a disk already full
  await diskGuard?.start();
  const registry = new SchemaRegistry(repositories.schemaRegistry, registrySettingsFromEnv());
  const services: Services = {
    repositories,
    secrets,
    catalog,
    health: async () => withDiskCheck(await checkHealth(config.databaseUrl, config.kafkaBrokers), diskGuard?.status()),
    identity: createIdentity(repositories, config.identity),
    connections: new Connections(repositories.connections, config.network, logger.child({ module: "connections", engineId: config.engineId }), (name) =>
      repositories.flows.namingConnection(name),
    ),
    schemaRegistry: registry,
  };
  const { identity } = services;
  const runtime = config.kafkaBrokers.length
    ? startDeployments({ repositories, catalog, databaseUrl: config.databaseUrl, kafkaBrokers: config.kafkaBrokers, engineId: config.engineId, network: config.network, disk: diskGuard, stateDir: config.stateDir })
    : undefined;
  if (runtime) Object.assign(services, { deployments: runtime.deployments, stats: runtime.stats, observers: runtime.observers, kafka: runtime.kafka });
  const tables =
    runtime && config.stateDir
      ? startTableSnapshots({ snapshots: repositories.tableSnapshots, deployments: repositories.deployments, kafka: runtime.kafka, dataDir: config.stateDir, engineId: config.engineId, log: logger.child({ module: "tables", engineId: config.engineId }) })
      : undefined;
  services.tableSnapshots = tables?.snapshots;
  // provenance, taps and metrics observe the runners; the plan of a batch's deployment comes from the runtime running it
  const plans: PlanLookup = (flowId, deploymentId) => {
    const spec = runtime?.deployments.runtime(flowId)?.spec;
    return spec?.deploymentId === deploymentId ? spec.plan : undefined;
  };
  const provenance = startProvenance({
    rows: repositories.provenance,
    deployments: repositories.deployments,
    engineId: config.engineId,
    kafka: runtime?.kafka,
    plans,
    bounds: config.provenance ?? provenanceBoundsFromEnv({}, false),
  });
  const metrics = createEngineMetrics({ deployments: repositories.deployments, stats: runtime?.stats, plans, provenance: provenance.recorder, provenanceStorage: () => provenance.janitor.stats, disk: diskGuard && (() => diskGuard.status()) });
  if (provenance.recorder) runtime?.observers.add(provenance.recorder);
  runtime?.observers.add(metrics);
  Object.assign(services, { provenance, metrics });
  // more processes for the consumer stages (MILLRACE_WORKERS), started once the engine serves
  const workers =
    runtime && (config.workers ?? 1) > 1
      ? new WorkerPool({ count: config.workers! - 1, engineId: config.engineId, databaseUrl: config.databaseUrl, kafkaBrokers: config.kafkaBrokers, network: config.network, stateDir: config.stateDir, secrets: secrets.box, log: logger.child({ module: "workers", engineId: config.engineId }), registry: metrics.registry })
      : undefined;
  if (workers) metrics.registry.setDefaultLabels({ worker: "main" });
  const audit = new AuditLog(repositories.audit, runtime?.kafka, logger.child({ module: "audit", engineId: config.engineId }), config.audit);
  services.audit = audit;
  audit.startPruning();

  const apiLog = logger.child({ module: "api", engineId: config.engineId });
  const http: HttpSettings = { ...DEFAULT_HTTP_SETTINGS, allowedHosts: [], ...config.http };
  const tooLarge = `request body larger than ${http.maxBodyBytes} bytes (MILLRACE_MAX_BODY_MB=${+(http.maxBodyBytes / 1024 / 1024).toFixed(3)})`;
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: "/trpc/",
    maxBodySize: http.maxBodyBytes,
    createContext: async ({ req, res }): Promise<Context> => {
      const secure = cameOverHttps(req);
      return {
        services,
        principal: await identity.authenticate(req),
        remoteAddress: req.socket.remoteAddress ?? "unknown",
        session: {
          set: (token) => res.appendHeader("set-cookie", sessionCookie(token, secure, identity.logins.sessionMaxAgeSeconds)),
          clear: () => res.appendHeader("set-cookie", clearedSessionCookie(secure)),
        },
      };
    },
    onError: ({ error, path }) => {
      if (error.code !== "INTERNAL_SERVER_ERROR") return;
      apiLog.error({ err: error, path }, `API call ${path ?? "(unknown)"} failed: ${error.message}; the caller got an internal server error (the stack says where: a bug, or Postgres/Kafka unreachable)`);
    },
  });
  const web = config.webDist ? serveStatic(config.webDist) : undefined;
  const schemaRegistry = schemaRegistryRoutes({
    registry,
    identity,
    users: repositories.users,
    audit,
    maxBodyBytes: http.maxBodyBytes,
    log: logger.child({ module: "schema-registry", engineId: config.engineId }),
  });
  const singleSignOn = oidcRoutes(identity.oidc, identity.logins.sessionMaxAgeSeconds, logger.child({ module: "auth", engineId: config.engineId }), audit);

  const server: Server = createHttpServer(http, createHostCheck(config.host, http.allowedHosts), logger.child({ module: "http", engineId: config.engineId }), (req, res, path) => {
    if (path.startsWith("/trpc/")) {
      const crossSite = crossSiteRefusal(req.method, req.headers);
      if (crossSite) return refuse(req, res, 403, `refused ${crossSite}: the API takes changes only from the designer this engine serves, or from programs`);
      if (Number(req.headers["content-length"]) > http.maxBodyBytes) return refuse(req, res, 413, tooLarge);
      // a body cut at the limit (sent without a length) is not read on: the connection goes
      res.once("finish", () => {
        if (!req.complete) req.socket.destroySoon();
      });
      return trpc(req, res);
    }
    if (path === "/healthz") {
      services.health().then(
        (h) => res.writeHead(h.ok ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify(h)),
        (e) => res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ ok: false, error: String(e) })),
      );
      return;
    }
    if (path === "/metrics") {
      // Prometheus scrapes with `Authorization: Bearer <token>`; any role may read the figures
      return identity.authenticate(req).then((principal) =>
        principal
          ? workers
            ? workers.serveMetrics(metrics.registry, res)
            : metrics.handle(req, res)
          : refuse(req, res, 401, "log in first: /metrics needs a viewer API token (Authorization: Bearer mr_…) or a session", { "www-authenticate": "Bearer" }),
      );
    }
    if (schemaRegistry(req, res, path)) return;
    if (singleSignOn(req, res, path)) return;
    if (runtime && handleHttpIngest(runtime.deployments, identity.authenticate, req, res, path)) return;
    if (web && (req.method === "GET" || req.method === "HEAD")) return web(req, res);
    refuse(req, res, 404, "not found");
  });

  // the first admin exists before the engine answers anything: whoever sees it up can log in
  let announceFirstAdmin: (url: string) => void;
  try {
    announceFirstAdmin = await ensureFirstAdmin(repositories.users, identity.settings.adminPassword, logger.child({ module: "auth", engineId: config.engineId }));
  } catch (e) {
    diskGuard?.stop();
    await audit.close();
    await tables?.close();
    await runtime?.close();
    await closeUserCodePool();
    await provenance.close();
    await db.close();
    throw e;
  }
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : config.port;
  const url = `http://${config.host}:${port}`;
  identity.oidc?.useEngineUrl(url);
  announceFirstAdmin(url);
  workers?.start();

  return {
    url,
    port,
    services,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      diskGuard?.stop();
      await workers?.close();
      await audit.close();
      await tables?.close();
      await runtime?.close();
      await closeUserCodePool();
      await provenance.close();
      await db.close();
    },
  };
}
