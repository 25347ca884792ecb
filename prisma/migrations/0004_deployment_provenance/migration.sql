-- Per-deployment provenance switch: deployments.deploy({ provenance: false }) turns recording
-- off for that deployment only (the engine-wide MILLRACE_PROVENANCE=off still wins).
ALTER TABLE "deployment" ADD COLUMN "provenance" BOOLEAN NOT NULL DEFAULT true;
