import type { PrismaClient } from "@millrace/db";
import { isSealed, mapSealed, type SealedStore, type SecretBox } from "../secrets/index.js";

const BATCH = 200;

type StoredDocument = { parameters?: { sensitive?: unknown; value?: unknown }[] };
type StoredPlan = { nodes?: Record<string, unknown>[] };

/**
 * The stored secrets as a whole (flow_version.document, deployment.plan): re-sealing them all
 * under a new key, and sealing what an older engine stored in plaintext. Flow versions are never
 * updated otherwise; a deployment row is only rewritten if it is still the one that was read
 * (same id and updated_at), so a concurrent deploy is never overwritten with an older plan.
 */
export class SealedValueRepository {
  constructor(
    private readonly db: PrismaClient,
    private readonly secrets: SecretBox,
    /** the other tables holding sealed values (connections), re-sealed along */
    private readonly otherStores: readonly SealedStore[] = [],
  ) {}

  /** Passes every sealed string of every flow version and deployment plan through `reseal`; returns how many rows changed. */
  async resealAll(reseal: (sealed: string) => string): Promise<number> {
    let changed = 0;
    for await (const v of this.versions()) {
      const next = mapSealed(v.document, reseal);
      if (next === undefined) continue;
      await this.db.flowVersion.update({ where: { id: v.id }, data: { document: next as object }, select: { id: true } });
      changed++;
    }
    for (const d of await this.db.deployment.findMany({ select: { id: true, plan: true, updatedAt: true } })) {
      const next = mapSealed(d.plan, reseal);
      if (next === undefined) continue;
      changed += (await this.db.deployment.updateMany({ where: { id: d.id, updatedAt: d.updatedAt }, data: { plan: next as object } })).count;
    }
    for (const store of this.otherStores) changed += await store.resealAll(reseal);
    return changed;
  }

  /**
   * Upgrades rows written before secrets were sealed: sensitive parameter values in plaintext are
   * sealed; a plan whose nodes do not say where their secrets are loses its node configs, so the
   * engine plans it again from its version when it starts it (see DeploymentManager). Idempotent.
   */
  async sealPlaintext(): Promise<{ versions: number; plans: number }> {
    const found = { versions: 0, plans: 0 };
    const plain = (p: { sensitive?: unknown; value?: unknown }) => p.sensitive === true && typeof p.value === "string" && p.value !== "" && !isSealed(p.value);
    for await (const v of this.versions()) {
      const doc = v.document as StoredDocument | null;
      const params = Array.isArray(doc?.parameters) ? doc.parameters : [];
      if (!params.some(plain)) continue;
      const parameters = params.map((p) => (plain(p) ? { ...p, value: this.secrets.seal(p.value as string) } : p));
      await this.db.flowVersion.update({ where: { id: v.id }, data: { document: { ...doc, parameters } as object }, select: { id: true } });
      found.versions++;
    }
    for (const d of await this.db.deployment.findMany({ select: { id: true, plan: true, updatedAt: true } })) {
      const plan = d.plan as StoredPlan | null;
      const nodes = Array.isArray(plan?.nodes) ? plan.nodes : [];
      if (!nodes.some((n) => "config" in n && !("secretPaths" in n))) continue;
      const stripped = nodes.map(({ config: _unsealed, ...rest }) => rest);
      found.plans += (await this.db.deployment.updateMany({ where: { id: d.id, updatedAt: d.updatedAt }, data: { plan: { ...plan, nodes: stripped } as object } })).count;
    }
    return found;
  }

  private async *versions(): AsyncGenerator<{ id: string; document: unknown }> {
    let after: string | undefined;
    for (;;) {
      const rows = await this.db.flowVersion.findMany({
        select: { id: true, document: true },
        orderBy: { id: "asc" },
        take: BATCH,
        ...(after ? { cursor: { id: after }, skip: 1 } : {}),
      });
      yield* rows;
      if (rows.length < BATCH) return;
      after = rows[rows.length - 1]!.id;
    }
  }
}
