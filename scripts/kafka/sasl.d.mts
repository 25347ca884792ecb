// Types for scripts/kafka/sasl.mjs (plain JS so it runs before anything is compiled).
import type { KafkaSaslOptions, ScramMechanism } from "./index.mjs";

export interface ResolvedSasl {
  users: { name: string; password: string }[];
  mechanisms: ScramMechanism[];
  superUsers: string[];
  acls: boolean;
  admin: { name: string; password: string };
}
export interface SaslRecord {
  mechanisms: ScramMechanism[];
  users: string[];
  superUsers: string[];
  acls: boolean;
}
export const SCRAM_MECHANISMS: ScramMechanism[];
export const SASL_LISTENER: "SASL_PLAINTEXT";
export function resolveSasl(sasl: KafkaSaslOptions | undefined, acls?: boolean): ResolvedSasl | undefined;
export function parseSaslUsers(text: string): { name: string; password: string }[];
export function saslServerProperties(resolved: ResolvedSasl, ports: { port: number; controllerPort: number }): string[];
export function scramFormatArgs(resolved: ResolvedSasl): string[];
export function kafkajsSasl(
  resolved: ResolvedSasl,
  user?: { name: string; password: string },
): { mechanism: "scram-sha-256" | "scram-sha-512"; username: string; password: string };
export function saslRecord(resolved: ResolvedSasl | undefined): SaslRecord | undefined;
export function formattedMismatch(saved: SaslRecord | undefined, resolved: ResolvedSasl | undefined): string | undefined;
