-- Runtime state of deployed flows: source checkpoints (so a source resumes where it stopped)
-- and per-engine stats (so any engine can show a flow's totals across engines).
CREATE TABLE "source_checkpoint" (
    "flow_id" TEXT NOT NULL,
    "node_id" TEXT NOT NULL,
    "checkpoint" JSONB,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "source_checkpoint_pkey" PRIMARY KEY ("flow_id", "node_id")
);

CREATE TABLE "engine_stats" (
    "engine_id" TEXT NOT NULL,
    "deployment_id" TEXT NOT NULL,
    "flow_id" TEXT NOT NULL,
    "stats" JSONB NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "engine_stats_pkey" PRIMARY KEY ("engine_id", "deployment_id")
);
CREATE INDEX "engine_stats_flow_id_idx" ON "engine_stats"("flow_id");
