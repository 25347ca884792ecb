-- Provenance with few GIN entries (issue 6; see apps/engine/src/provenance/README.md).
-- Rows written from now on keep their ids in input_ids / output_ids, which no index holds, and
-- only lookup keys in the GIN-indexed in_ids / out_ids: the id less its last two characters, so
-- the ~1,300 consecutive ids an engine makes share one key (lossy: the store checks the candidate
-- rows for the id itself). A row that read an edge topic at offsets whose writer recorded where
-- each record went (out_locs), or a replay topic, has no keys at all (in_ids NULL): the store
-- finds it by (topic, partition, offset). Rows written before keep the ids themselves in in_ids /
-- out_ids (a key that matches exactly) and have no out_locs: they are found by id as before.
ALTER TABLE "provenance_batch" ADD COLUMN "input_ids" TEXT[];
ALTER TABLE "provenance_batch" ADD COLUMN "output_ids" TEXT[];
-- runs "j,partition,offset,count,...": outputs j..j+count-1 went to that partition of their
-- port's first topic at offset.. offset+count-1
ALTER TABLE "provenance_batch" ADD COLUMN "out_locs" TEXT;

-- "which rows read offset O of topic T, partition P": per reading node, the row with the greatest
-- first_offset <= O (a skip scan over node_id, then one probe per node).
CREATE INDEX "provenance_batch_topic_partition_node_id_first_offset_idx" ON "provenance_batch"("topic", "partition", "node_id", "first_offset");

-- No planner statistics for the id/offset arrays: no query's plan depends on them (the GIN
-- indexes are the only way to answer `&&`), and ANALYZE of arrays of thousands of ids is most of
-- the cost of analysing this table.
ALTER TABLE "provenance_batch" ALTER COLUMN "in_ids" SET STATISTICS 0;
ALTER TABLE "provenance_batch" ALTER COLUMN "out_ids" SET STATISTICS 0;
ALTER TABLE "provenance_batch" ALTER COLUMN "input_ids" SET STATISTICS 0;
ALTER TABLE "provenance_batch" ALTER COLUMN "output_ids" SET STATISTICS 0;
ALTER TABLE "provenance_batch" ALTER COLUMN "in_offsets" SET STATISTICS 0;
ALTER TABLE "provenance_batch" ALTER COLUMN "out_parents" SET STATISTICS 0;
ALTER TABLE "provenance_batch" ALTER COLUMN "out_ports" SET STATISTICS 0;
