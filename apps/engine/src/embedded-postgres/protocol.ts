// The messages between the engine and its embedded Postgres process (supervisor.ts ⇄ server-main.ts).

/** What the process needs to serve the database; sent once, right after the fork. */
export interface EmbeddedPostgresSettings {
  dataDir: string;
  /** the gate's loopback port (0: any free one, reported back in "ready") */
  port: number;
  passwordFile: string;
  /** how often the process reports its resident memory (ms) */
  memoryIntervalMs: number;
}

export type ToEmbeddedPostgres = { type: "start"; settings: EmbeddedPostgresSettings } | { type: "stop" };

export type FromEmbeddedPostgres =
  /** serving: the engine builds the URL from the port and the password file (never sent) */
  | { type: "ready"; port: number; rssBytes: number }
  | { type: "memory"; rssBytes: number }
  /** could not start (it exits right after): the reason, for the engine's error */
  | { type: "failed"; error: string };
