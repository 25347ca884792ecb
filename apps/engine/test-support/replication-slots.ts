import type pg from "pg";

/** Ends the readers of the database's replication slots and drops them: a database with slots cannot be dropped. */
export async function dropReplicationSlots(client: pg.Client): Promise<void> {
  await client.query("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = current_database() AND active").catch(() => {});
  await new Promise((r) => setTimeout(r, 500));
  await client.query("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = current_database()").catch(() => {});
}
