-- Who deployed a flow: records its sources create carry that user as their principal.
-- Deployments made before it have none.
ALTER TABLE "deployment" ADD COLUMN "deployed_by" TEXT;
