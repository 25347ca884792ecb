-- Provenance in partitions, so the oldest lineage goes by dropping whole tables (no DELETE + VACUUM
-- of millions of rows) and the table can be capped by size as well as time (see
-- apps/engine/src/provenance/README.md, "Bounded by size and time").
--
-- provenance_part lists the partitions, newest = the one rows go to. One engine at a time (an
-- advisory lock) starts the next partition when the current one is big or old enough and drops the
-- oldest ones beyond MILLRACE_PROVENANCE_MAX_MB or MILLRACE_PROVENANCE_RETENTION_HOURS.
CREATE TABLE "provenance_part" (
    "part" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "provenance_part_pkey" PRIMARY KEY ("part")
);

-- every INSERT lands in the newest partition without naming it (writers need not know the roll)
CREATE FUNCTION provenance_current_part() RETURNS INTEGER LANGUAGE sql STABLE AS $$ SELECT coalesce(max(part), 0) FROM provenance_part $$;

-- The rows so far become partition 0, dropped like any other once it is the oldest beyond a bound.
DROP INDEX "provenance_batch_in_ids_idx";
DROP INDEX "provenance_batch_out_ids_idx";
DROP INDEX "provenance_batch_flow_id_node_id_at_idx";
DROP INDEX "provenance_batch_flow_id_at_idx";
DROP INDEX "provenance_batch_at_idx";
DROP INDEX "provenance_batch_topic_partition_node_id_first_offset_idx";
ALTER TABLE "provenance_batch" DROP CONSTRAINT "provenance_batch_pkey";
ALTER TABLE "provenance_batch" RENAME TO "provenance_batch_0";
ALTER TABLE "provenance_batch_0" ADD COLUMN "part" INTEGER NOT NULL DEFAULT 0;

CREATE TABLE "provenance_batch" (
    "id" BIGINT NOT NULL DEFAULT nextval('provenance_batch_id_seq'),
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
    "input_ids" TEXT[],
    "output_ids" TEXT[],
    "out_locs" TEXT,
    "part" INTEGER NOT NULL DEFAULT provenance_current_part(),

    CONSTRAINT "provenance_batch_pkey" PRIMARY KEY ("id", "part")
) PARTITION BY RANGE ("part");
ALTER SEQUENCE "provenance_batch_id_seq" OWNED BY "provenance_batch"."id";

ALTER TABLE "provenance_batch" ATTACH PARTITION "provenance_batch_0" FOR VALUES FROM (0) TO (1);
INSERT INTO "provenance_part" ("part", "created_at") SELECT 0, coalesce(min("at"), CURRENT_TIMESTAMP) FROM "provenance_batch_0";
CREATE TABLE "provenance_batch_1" PARTITION OF "provenance_batch" FOR VALUES FROM (1) TO (2);
INSERT INTO "provenance_part" ("part") VALUES (1);

-- the indexes of 0003/0005 less the one on "at" alone (it served the retention DELETE, gone now)
CREATE INDEX "provenance_batch_in_ids_idx" ON "provenance_batch" USING GIN ("in_ids");
CREATE INDEX "provenance_batch_out_ids_idx" ON "provenance_batch" USING GIN ("out_ids");
CREATE INDEX "provenance_batch_flow_id_node_id_at_idx" ON "provenance_batch"("flow_id", "node_id", "at");
CREATE INDEX "provenance_batch_flow_id_at_idx" ON "provenance_batch"("flow_id", "at");
CREATE INDEX "provenance_batch_topic_partition_node_id_first_offset_idx" ON "provenance_batch"("topic", "partition", "node_id", "first_offset");

ALTER TABLE "provenance_batch" ALTER COLUMN "in_ids" SET STATISTICS 0;
ALTER TABLE "provenance_batch" ALTER COLUMN "out_ids" SET STATISTICS 0;
ALTER TABLE "provenance_batch" ALTER COLUMN "input_ids" SET STATISTICS 0;
ALTER TABLE "provenance_batch" ALTER COLUMN "output_ids" SET STATISTICS 0;
ALTER TABLE "provenance_batch" ALTER COLUMN "in_offsets" SET STATISTICS 0;
ALTER TABLE "provenance_batch" ALTER COLUMN "out_parents" SET STATISTICS 0;
ALTER TABLE "provenance_batch" ALTER COLUMN "out_ports" SET STATISTICS 0;
-- a partition created by PARTITION OF starts with default statistics targets: set them like its parent's
ALTER TABLE "provenance_batch_1" ALTER COLUMN "in_ids" SET STATISTICS 0;
ALTER TABLE "provenance_batch_1" ALTER COLUMN "out_ids" SET STATISTICS 0;
ALTER TABLE "provenance_batch_1" ALTER COLUMN "input_ids" SET STATISTICS 0;
ALTER TABLE "provenance_batch_1" ALTER COLUMN "output_ids" SET STATISTICS 0;
ALTER TABLE "provenance_batch_1" ALTER COLUMN "in_offsets" SET STATISTICS 0;
ALTER TABLE "provenance_batch_1" ALTER COLUMN "out_parents" SET STATISTICS 0;
ALTER TABLE "provenance_batch_1" ALTER COLUMN "out_ports" SET STATISTICS 0;
