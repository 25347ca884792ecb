-- Group templates: each version of a template is a row; a new version never changes an older
-- one, so a flow's group that names (id, version) can always be compared with the newest.
-- document holds the template body (nodes, internal edges, boundary ports, parameters), bounded
-- in size here as well as by the engine.
-- CreateTable
CREATE TABLE "group_template" (
    "id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "document" JSONB NOT NULL,
    "created_by" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "group_template_pkey" PRIMARY KEY ("id","version"),
    CONSTRAINT "group_template_document_size" CHECK (octet_length("document"::text) <= 1048576)
);
