import type { PrismaClient } from "@millrace/db";
import { TEMPLATE_LIMITS, TemplateBodySchema, type GroupTemplate, type TemplateBody } from "@millrace/flow";
import { DomainError } from "../errors.js";
import { queryIn, sql } from "./sql.js";

/** The most JSON a template version may hold (the table's CHECK says the same). */
export const TEMPLATE_DOCUMENT_MAX_BYTES = 1_048_576;

export interface TemplateSummary {
  id: string;
  name: string;
  /** the newest version */
  version: number;
  description?: string;
  createdBy: string | null;
  createdAt: Date;
}

export interface TemplateRecord extends GroupTemplate {
  createdBy: string | null;
  createdAt: Date;
}

/** A group of a flow's latest version placed from a template. */
export interface TemplateUseRow {
  flowId: string;
  flowName: string;
  flowVersion: number;
  groupId: string;
  groupName: string;
  templateVersion: number;
}

interface Row {
  id: string;
  version: number;
  name: string;
  document: unknown;
  created_by: string | null;
  created_at: Date;
}

/** Group templates (table group_template), one row per version; a version once saved never changes. */
export class TemplateRepository {
  constructor(private readonly db: PrismaClient) {}

  /** Each template at its newest version, by name. */
  async list(): Promise<TemplateSummary[]> {
    // the description only, not each body (up to 1 MiB a version)
    const rows = await queryIn<Omit<Row, "document"> & { description: string | null }>(
      this.db,
      sql`SELECT DISTINCT ON (id) id, version, name, document->>'description' AS description, created_by, created_at FROM group_template ORDER BY id, version DESC`,
    );
    return rows
      .map((r) => ({ id: r.id, name: r.name, version: r.version, ...(r.description !== null ? { description: r.description } : {}), createdBy: r.created_by, createdAt: r.created_at }))
      .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }

  /** One version (the newest when none is named); NOT_FOUND when absent. */
  async get(id: string, version?: number): Promise<TemplateRecord> {
    const rows = await queryIn<Row>(
      this.db,
      version === undefined
        ? sql`SELECT * FROM group_template WHERE id = ${id} ORDER BY version DESC LIMIT 1`
        : sql`SELECT * FROM group_template WHERE id = ${id} AND version = ${version}`,
    );
    if (!rows.length) throw new DomainError("NOT_FOUND", version === undefined ? `template ${id} does not exist` : `template ${id} has no version ${version}`);
    return record(rows[0]!);
  }

  /**
   * Stores a body as the template's next version (version 1 for a new id). CONFLICT when
   * `expectedVersion` is given and is no longer the newest: someone saved in between.
   */
  async save(id: string, body: TemplateBody, createdBy: string | undefined, expectedVersion?: number): Promise<{ id: string; version: number }> {
    const json = JSON.stringify(body);
    if (Buffer.byteLength(json) > TEMPLATE_DOCUMENT_MAX_BYTES) {
      throw new DomainError("INVALID", `the template is ${Buffer.byteLength(json)} bytes of JSON, more than ${TEMPLATE_DOCUMENT_MAX_BYTES}`);
    }
    return this.db.$transaction(async (tx) => {
      // serialises saves of one template, so two never take the same version number
      await queryIn(tx, sql`SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtext(${`group_template:${id}`}))`);
      const newest = await queryIn<{ version: number | null }>(tx, sql`SELECT max(version) AS version FROM group_template WHERE id = ${id}`);
      const current = newest[0]?.version ?? 0;
      if (expectedVersion !== undefined && expectedVersion !== current) {
        throw new DomainError("CONFLICT", current === 0 ? `template ${id} does not exist` : `template ${id} is at version ${current} now, not ${expectedVersion}: reload it and save again`);
      }
      if (current >= TEMPLATE_LIMITS.versions) {
        throw new DomainError("INVALID", `template ${id} has ${current} versions, the most a template keeps: save the group as a new template instead`);
      }
      const version = current + 1;
      await queryIn(tx, sql`INSERT INTO group_template (id, version, name, document, created_by) VALUES (${id}, ${version}, ${body.name}, ${json}::jsonb, ${createdBy ?? null})`);
      return { id, version };
    });
  }

  /** Removes every version; whether there was one. Flows keep their groups' nodes. */
  async remove(id: string): Promise<boolean> {
    const rows = await queryIn<{ id: string }>(this.db, sql`DELETE FROM group_template WHERE id = ${id} RETURNING id`);
    return rows.length > 0;
  }

  /** The groups placed from a template in each flow's latest version. */
  async uses(templateId: string): Promise<TemplateUseRow[]> {
    const rows = await queryIn<{ flow_id: string; flow_name: string; flow_version: number; group_id: string; group_name: string; template_version: number }>(
      this.db,
      sql`SELECT f.id AS flow_id, f.name AS flow_name, v.version AS flow_version, g->>'id' AS group_id, g->>'name' AS group_name,
                 (g->'template'->>'version')::int AS template_version
            FROM flow f
            JOIN flow_version v ON v.flow_id = f.id AND v.version = f.latest_version
            CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(v.document->'groups') = 'array' THEN v.document->'groups' ELSE '[]'::jsonb END) g
           WHERE g->'template'->>'id' = ${templateId}
           ORDER BY f.name, f.id, g->>'id'`,
    );
    return rows.map((r) => ({ flowId: r.flow_id, flowName: r.flow_name, flowVersion: r.flow_version, groupId: r.group_id, groupName: r.group_name, templateVersion: r.template_version }));
  }
}

function record(row: Row): TemplateRecord {
  const parsed = TemplateBodySchema.safeParse(row.document);
  // only a row edited by hand (or by a future engine) gets here
  if (!parsed.success) throw new DomainError("INVALID", `the stored template ${row.id} v${row.version} is not valid: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
  return { ...parsed.data, id: row.id, version: row.version, createdBy: row.created_by, createdAt: row.created_at };
}
