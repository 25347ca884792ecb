-- Named connections (Kafka clusters, databases, endpoints): the document as saved, its secret
-- fields sealed with the engine's secret key.
CREATE TABLE "connection" (
    "name" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "document" JSONB NOT NULL,
    "created_by" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "connection_pkey" PRIMARY KEY ("name")
);
