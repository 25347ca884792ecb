-- Provenance found by Kafka position (issue 6): a row that read its inputs from a topic whose
-- writer recorded where each record went (an edge topic of the same deployment, a replay topic)
-- keeps its input ids in read_ids, which no index holds; the store finds such a row by
-- (topic, partition, offset) from the writer's out_locs. Only ids read from elsewhere (external
-- topics, fused hops) and ids created at a node stay in the GIN indexes: ~1.5 index entries per
-- record instead of ~3.5 (see apps/engine/src/provenance/README.md).
-- Existing rows keep in_ids (GIN) and have no out_locs: they are found by id as before.
ALTER TABLE "provenance_batch" ADD COLUMN "read_ids" TEXT[];
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
ALTER TABLE "provenance_batch" ALTER COLUMN "read_ids" SET STATISTICS 0;
ALTER TABLE "provenance_batch" ALTER COLUMN "out_ids" SET STATISTICS 0;
ALTER TABLE "provenance_batch" ALTER COLUMN "in_offsets" SET STATISTICS 0;
ALTER TABLE "provenance_batch" ALTER COLUMN "out_parents" SET STATISTICS 0;
ALTER TABLE "provenance_batch" ALTER COLUMN "out_ports" SET STATISTICS 0;
