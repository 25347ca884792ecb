-- Snapshots of tables (table and aggregate nodes): one row per snapshot with the changelog offset
-- of every partition it reflects; the rows themselves in table_snapshot_row when written to
-- Postgres (a file snapshot keeps only its path here). Deleting a snapshot deletes its rows.
-- CreateTable
CREATE TABLE "table_snapshot" (
    "id" BIGSERIAL NOT NULL,
    "flow_id" TEXT NOT NULL,
    "node_id" TEXT NOT NULL,
    "deployment_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "target" TEXT NOT NULL,
    "file_path" TEXT,
    "offsets" JSONB NOT NULL,
    "row_count" INTEGER NOT NULL,
    "bytes" BIGINT NOT NULL,
    "taken_by" TEXT NOT NULL,
    "engine_id" TEXT NOT NULL,
    "taken_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ms" INTEGER NOT NULL,

    CONSTRAINT "table_snapshot_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "table_snapshot_row" (
    "snapshot_id" BIGINT NOT NULL,
    "partition" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "value" JSONB NOT NULL,

    CONSTRAINT "table_snapshot_row_pkey" PRIMARY KEY ("snapshot_id","partition","key")
);

-- CreateIndex
CREATE INDEX "table_snapshot_flow_id_node_id_taken_at_idx" ON "table_snapshot"("flow_id", "node_id", "taken_at");

-- AddForeignKey
ALTER TABLE "table_snapshot_row" ADD CONSTRAINT "table_snapshot_row_snapshot_id_fkey" FOREIGN KEY ("snapshot_id") REFERENCES "table_snapshot"("id") ON DELETE CASCADE ON UPDATE CASCADE;

