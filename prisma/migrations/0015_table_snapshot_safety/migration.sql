-- Table snapshots made safe to start from and able to hold any row:
-- offsets_at is when the snapshot's end offsets were read (how old it is for the changelog's
-- tombstones, not when its row was inserted after a long fold); partition_rows the rows per
-- partition, so a load can tell it read them all; keys as UTF-8 bytes and values as JSON text,
-- since text and jsonb cannot hold U+0000 (binary Kafka keys can).
-- AlterTable
ALTER TABLE "table_snapshot" ADD COLUMN "offsets_at" TIMESTAMPTZ(3);
ALTER TABLE "table_snapshot" ADD COLUMN "partition_rows" JSONB;
UPDATE "table_snapshot" s SET
    "offsets_at" = s."taken_at",
    "partition_rows" = COALESCE(
        (SELECT jsonb_object_agg(c."partition"::text, c."n") FROM (SELECT r."partition", count(*) AS "n" FROM "table_snapshot_row" r WHERE r."snapshot_id" = s."id" GROUP BY r."partition") c),
        '{}'::jsonb);
ALTER TABLE "table_snapshot" ALTER COLUMN "offsets_at" SET NOT NULL;
ALTER TABLE "table_snapshot" ALTER COLUMN "partition_rows" SET NOT NULL;

-- AlterTable
ALTER TABLE "table_snapshot_row" ALTER COLUMN "key" SET DATA TYPE BYTEA USING convert_to("key", 'UTF8');
ALTER TABLE "table_snapshot_row" ALTER COLUMN "value" SET DATA TYPE TEXT USING "value"::text;
