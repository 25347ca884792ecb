CREATE TABLE "flow" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "latest_version" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "flow_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "flow_version" (
    "id" TEXT NOT NULL,
    "flow_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "document" JSONB NOT NULL,
    "hash" TEXT NOT NULL,
    "author" TEXT NOT NULL,
    "message" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "flow_version_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "flow_version_flow_id_version_key" ON "flow_version"("flow_id", "version");
CREATE INDEX "flow_version_flow_id_hash_idx" ON "flow_version"("flow_id", "hash");
ALTER TABLE "flow_version" ADD CONSTRAINT "flow_version_flow_id_fkey" FOREIGN KEY ("flow_id") REFERENCES "flow"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "deployment" (
    "id" TEXT NOT NULL,
    "flow_id" TEXT NOT NULL,
    "version_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "exactly_once" BOOLEAN NOT NULL DEFAULT false,
    "plan" JSONB,
    "error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "deployment_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "deployment_flow_id_key" ON "deployment"("flow_id");
ALTER TABLE "deployment" ADD CONSTRAINT "deployment_flow_id_fkey" FOREIGN KEY ("flow_id") REFERENCES "flow"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "provenance_event" (
    "id" BIGSERIAL NOT NULL,
    "record_id" TEXT NOT NULL,
    "parent_ids" TEXT[],
    "type" TEXT NOT NULL,
    "flow_id" TEXT NOT NULL,
    "node_id" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "topic" TEXT,
    "partition" INTEGER,
    "offset" BIGINT,
    "details" JSONB,
    CONSTRAINT "provenance_event_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "provenance_event_record_id_idx" ON "provenance_event"("record_id");
CREATE INDEX "provenance_event_flow_id_node_id_at_idx" ON "provenance_event"("flow_id", "node_id", "at");
