-- The Confluent-compatible schema registry the engine serves at /schema-registry.
-- Schemas: one row per distinct (normalised) schema text; ids come from the sequence and are
-- never handed out again, even after a permanent delete. The unique fingerprint makes concurrent
-- registrations of one schema (from several engines) end with one id.
CREATE TABLE "registry_schema" (
    "id" SERIAL NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "schema_type" TEXT NOT NULL DEFAULT 'AVRO',
    "schema" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "registry_schema_pkey" PRIMARY KEY ("id")
);

-- A subject's versions 1, 2, 3…; a soft delete sets `deleted`, a permanent one removes the row.
CREATE TABLE "registry_subject_version" (
    "subject" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "schema_id" INTEGER NOT NULL,
    "deleted" BOOLEAN NOT NULL DEFAULT false,
    "created_by" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "registry_subject_version_pkey" PRIMARY KEY ("subject","version")
);

-- Compatibility levels per subject; the subject '' holds the registry's global level.
CREATE TABLE "registry_config" (
    "subject" TEXT NOT NULL,
    "compatibility" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "registry_config_pkey" PRIMARY KEY ("subject")
);

CREATE UNIQUE INDEX "registry_schema_fingerprint_key" ON "registry_schema"("fingerprint");

CREATE INDEX "registry_subject_version_schema_id_idx" ON "registry_subject_version"("schema_id");

ALTER TABLE "registry_subject_version" ADD CONSTRAINT "registry_subject_version_schema_id_fkey" FOREIGN KEY ("schema_id") REFERENCES "registry_schema"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
