import { randomUUID } from "node:crypto";
import type { PrismaClient } from "@millrace/db";
import { documentHash, type FlowDocument } from "@millrace/flow";
import { DomainError } from "../errors.js";
import { queryIn, sql } from "./sql.js";
import { SecretKeyError, type SecretBox } from "../secrets/index.js";

export interface FlowSummary {
  id: string;
  name: string;
  latestVersion: number;
  updatedAt: Date;
  deployment: { version: number; status: string } | null;
  /** who created or imported it (null: from before per-flow access) */
  owner: string | null;
  /** only its owner, the admins and those on its access list see it */
  restricted: boolean;
}

export interface SaveResult {
  id: string;
  version: number;
  created: boolean;
}

/**
 * Flows and their immutable versions (tables flow, flow_version). Validation happens before, in
 * the API layer. Sensitive parameter values are stored sealed (see secrets/): `get` hands them out
 * sealed (callers redact them), only `getOpened` (planning) turns them back into plaintext.
 */
export class FlowRepository {
  constructor(
    private readonly db: PrismaClient,
    private readonly secrets: SecretBox,
  ) {}

  async list(): Promise<FlowSummary[]> {
    const rows = await this.db.flow.findMany({
      orderBy: { updatedAt: "desc" },
      include: { deployment: { select: { version: true, status: true } }, access: { select: { restricted: true } } },
    });
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      latestVersion: r.latestVersion,
      updatedAt: r.updatedAt,
      deployment: r.deployment,
      owner: r.ownerName,
      restricted: r.access?.restricted ?? false,
    }));
  }

  async get(id: string, version?: number) {
    const flow = await this.db.flow.findUnique({ where: { id } });
    if (!flow || flow.latestVersion === 0) throw new DomainError("NOT_FOUND", `flow ${id} does not exist`);
    const v = await this.db.flowVersion.findUnique({
      where: { flowId_version: { flowId: id, version: version ?? flow.latestVersion } },
    });
    if (!v) throw new DomainError("NOT_FOUND", `flow ${id} has no version ${version}`);
    return {
      flow: { id: flow.id, name: flow.name, latestVersion: flow.latestVersion },
      version: { id: v.id, version: v.version, hash: v.hash, author: v.author, message: v.message, createdAt: v.createdAt },
      document: v.document as unknown as FlowDocument,
    };
  }

  /** `get` with the sensitive values in plaintext: only for planning a deployment. */
  async getOpened(id: string, version?: number) {
    const r = await this.get(id, version);
    try {
      return { ...r, document: this.withSecrets(r.document, (v) => this.secrets.open(v)) };
    } catch (e) {
      if (e instanceof SecretKeyError) throw new DomainError("UNAVAILABLE", `flow ${id} v${r.version.version}: ${e.message}`);
      throw e;
    }
  }

  /** The document with each non-empty sensitive value passed through `f`. */
  private withSecrets(doc: FlowDocument, f: (value: string) => string): FlowDocument {
    if (!doc.parameters.some((p) => p.sensitive && p.value !== "")) return doc;
    return { ...doc, parameters: doc.parameters.map((p) => (p.sensitive && p.value !== "" ? { ...p, value: f(p.value) } : p)) };
  }

  async exists(id: string): Promise<boolean> {
    return (await this.db.flow.count({ where: { id } })) > 0;
  }

  async versions(id: string) {
    return this.db.flowVersion.findMany({
      where: { flowId: id },
      orderBy: { version: "desc" },
      select: { id: true, version: true, hash: true, author: true, message: true, createdAt: true },
    });
  }

  /**
   * Stores the document as a new version unless it equals the latest one. With `baseVersion`
   * (the version the editor started from) a newer version saved elsewhere is a conflict,
   * never a silent overwrite. `owner` becomes the flow's owner when this save creates it (an
   * existing flow keeps its own).
   */
  async save(edited: FlowDocument, opts: { baseVersion?: number; author?: string; message?: string; owner?: string } = {}): Promise<SaveResult> {
    // A value the editor kept comes back sealed (as `get` gave it): open it, so it compares with
    // the stored one and is sealed again like a new one.
    const doc = this.withSecrets(edited, (v) => this.secrets.tryOpen(v) ?? v);
    const hash = documentHash(doc);
    return this.db.$transaction(async (tx) => {
      await tx.flow.upsert({ where: { id: doc.id }, create: { id: doc.id, name: doc.name, ownerName: opts.owner ?? null }, update: {} });
      // Row lock: two concurrent saves of one flow serialise here.
      const [row] = await queryIn<{ latest_version: number }>(tx, sql`SELECT latest_version FROM flow WHERE id = ${doc.id} FOR UPDATE`);
      const latest = row!.latest_version;
      if (opts.baseVersion !== undefined && opts.baseVersion < latest) {
        throw new DomainError(
          "CONFLICT",
          `flow "${doc.name}" was saved elsewhere as version ${latest} after version ${opts.baseVersion} you started from; reload it (or save as a copy) before saving`,
          { latestVersion: latest },
        );
      }
      if (latest > 0) {
        const last = await tx.flowVersion.findUnique({ where: { flowId_version: { flowId: doc.id, version: latest } }, select: { hash: true, document: true } });
        // The hash leaves secret values out (it is public): a changed secret alone is still a change.
        if (last?.hash === hash && sameSecrets(doc, this.withSecrets(last.document as unknown as FlowDocument, (v) => this.secrets.tryOpen(v) ?? v))) {
          return { id: doc.id, version: latest, created: false };
        }
      }
      const version = latest + 1;
      await tx.flowVersion.create({
        data: {
          id: randomUUID(),
          flowId: doc.id,
          version,
          document: this.withSecrets(doc, (v) => this.secrets.seal(v)) as object,
          hash,
          author: opts.author ?? "anonymous",
          message: opts.message ?? null,
        },
      });
      await tx.flow.update({ where: { id: doc.id }, data: { name: doc.name, latestVersion: version, updatedAt: new Date() } });
      return { id: doc.id, version, created: true };
    });
  }

  /** Flows whose latest version has a node naming connection `name` (its config's `connection`). */
  async namingConnection(name: string): Promise<{ id: string; name: string }[]> {
    return queryIn<{ id: string; name: string }>(
      this.db,
      sql`SELECT f.id, f.name FROM flow f JOIN flow_version v ON v.flow_id = f.id AND v.version = f.latest_version
          WHERE v.document->'nodes' @> ${JSON.stringify([{ config: { connection: name } }])}::jsonb ORDER BY f.id`,
    );
  }

  async delete(id: string): Promise<void> {
    const n = await this.db.flow.deleteMany({ where: { id } });
    if (n.count === 0) throw new DomainError("NOT_FOUND", `flow ${id} does not exist`);
  }
}

function sameSecrets(a: FlowDocument, b: FlowDocument): boolean {
  const secrets = (d: FlowDocument) => JSON.stringify(d.parameters.filter((p) => p.sensitive).map((p) => [p.name, p.value]).sort());
  return secrets(a) === secrets(b);
}
