-- Provenance by batch: one row per node per batch, not one per record (see
-- apps/engine/src/provenance/README.md). Replaces the never-written provenance_event table.
DROP TABLE IF EXISTS "provenance_event";

CREATE TABLE "provenance_batch" (
    "id" BIGSERIAL NOT NULL,
    "flow_id" TEXT NOT NULL,
    "deployment_id" TEXT,
    "engine_id" TEXT,
    "stage_id" TEXT,
    "node_id" TEXT NOT NULL,
    "node_type" TEXT,
    "from_node" TEXT,
    "seq" INTEGER NOT NULL DEFAULT 0,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "duration_ms" INTEGER NOT NULL DEFAULT 0,
    "topic" TEXT,
    "partition" INTEGER,
    "first_offset" BIGINT,
    "last_offset" BIGINT,
    "in_offsets" BIGINT[],
    "in_ids" TEXT[],
    "in_events" TEXT NOT NULL DEFAULT '',
    "out_ids" TEXT[],
    "out_parents" INTEGER[],
    "out_ports" TEXT[],
    "out_events" TEXT NOT NULL DEFAULT '',
    "port_topics" JSONB,

    CONSTRAINT "provenance_batch_pkey" PRIMARY KEY ("id")
);

-- "lineage by record id": a record id is found in the inputs or outputs of its node-batches.
CREATE INDEX "provenance_batch_in_ids_idx" ON "provenance_batch" USING GIN ("in_ids");
CREATE INDEX "provenance_batch_out_ids_idx" ON "provenance_batch" USING GIN ("out_ids");
-- "events by node and time range", and retention.
CREATE INDEX "provenance_batch_flow_id_node_id_at_idx" ON "provenance_batch"("flow_id", "node_id", "at");
CREATE INDEX "provenance_batch_flow_id_at_idx" ON "provenance_batch"("flow_id", "at");
CREATE INDEX "provenance_batch_at_idx" ON "provenance_batch"("at");
