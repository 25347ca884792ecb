-- Per-flow access: a flow's owner (who created or imported it; NULL for flows older than this,
-- which stay visible to everyone), an optional access list, and the groups a user belongs to.
-- AlterTable
ALTER TABLE "flow" ADD COLUMN "owner_name" TEXT;

-- AlterTable
ALTER TABLE "app_user" ADD COLUMN "groups" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- CreateTable
CREATE TABLE "flow_access" (
    "flow_id" TEXT NOT NULL,
    "restricted" BOOLEAN NOT NULL DEFAULT false,
    "users" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "groups" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "flow_access_pkey" PRIMARY KEY ("flow_id")
);

-- AddForeignKey
ALTER TABLE "flow_access" ADD CONSTRAINT "flow_access_flow_id_fkey" FOREIGN KEY ("flow_id") REFERENCES "flow"("id") ON DELETE CASCADE ON UPDATE CASCADE;
