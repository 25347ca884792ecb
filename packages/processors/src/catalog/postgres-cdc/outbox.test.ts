import { describe, expect, it } from "vitest";
import { HEADER } from "../../sdk.js";
import { outboxRecord, resolveLayout, splitFailures, type OutboxLayout } from "./outbox.js";
import type { CapturedTable } from "./setup.js";
import { configSchema } from "./spec.js";

const table = (columns: string[]): CapturedTable => ({ name: "public.outbox", schema: "public", table: "outbox", keyColumns: ["id"], hasPrimaryKey: true, columns, overrides: new Map(), replicaIdentity: "default" });
const layout: OutboxLayout = resolveLayout({}, table(["id", "topic", "aggregate_id", "payload", "headers", "type"]));

describe("postgres-cdc outbox rows", () => {
  it("makes the row's event: key, payload as it is, the row's headers plus its id, type and topic", () => {
    const r = outboxRecord(layout, { id: 7, topic: "orders.events", aggregate_id: "order-1", payload: { total: "12.50" }, headers: { traceparent: "00-abc", attempt: 2 }, type: "OrderCreated" }, "cdc");
    expect(r).toEqual({
      key: "order-1",
      value: { total: "12.50" },
      headers: { traceparent: "00-abc", attempt: "2", "mr.outbox.id": "7", "mr.outbox.type": "OrderCreated", "mr.outbox.topic": "orders.events" },
    });
    expect(outboxRecord(layout, { id: 8, topic: "t", aggregate_id: 42, payload: "plain text", headers: null, type: null }, "cdc")).toEqual({ key: "42", value: "plain text", headers: { "mr.outbox.id": "8", "mr.outbox.topic": "t" } });
  });

  it("sends a row without a usable topic, key or headers to failure, naming the row and the column", () => {
    const reason = (row: Record<string, unknown>) => outboxRecord(layout, { id: 9, topic: "t", aggregate_id: "k", payload: null, ...row }, "cdc").headers[HEADER.error];
    expect(reason({ topic: null })).toBe("outbox row 9 of public.outbox: column topic is empty: the row names the topic its event goes to");
    expect(reason({ topic: "no spaces allowed" })).toMatch(/^outbox row 9 of public\.outbox: column topic is "no spaces allowed", not a Kafka topic name/);
    expect(reason({ aggregate_id: null })).toBe("outbox row 9 of public.outbox: column aggregate_id is empty: the row's key orders its events in Kafka");
    expect(reason({ headers: ["a"] })).toMatch(/column headers is \["a"\], not a JSON object/);
    expect(reason({ headers: { a: { b: 1 } } })).toMatch(/column headers has header "a" with a object: a header's value is text/);
    expect(reason({ headers: { "mr.topic": "elsewhere" } })).toMatch(/column headers has header "mr.topic": names starting with "mr." are Millrace's/);
    expect(reason({})).toBeUndefined();
  });

  it("resolves the layout: required columns must exist, headers and type only when named", () => {
    expect(resolveLayout({}, table(["id", "topic", "aggregate_id", "payload"]))).toMatchObject({ headers: undefined, type: undefined });
    expect(() => resolveLayout({ keyColumn: "aggregateid" }, table(["id", "topic", "aggregate_id", "payload"]))).toThrow(/outbox table public\.outbox has no column aggregateid \(outbox\.keyColumn\)/);
    expect(() => resolveLayout({ typeColumn: "kind" }, table(["id", "topic", "aggregate_id", "payload"]))).toThrow(/no column kind \(outbox\.typeColumn\)/);
  });

  it("splits failures off a batch without copying a batch that has none", () => {
    const ok = { value: 1, headers: {} };
    const bad = { value: 2, headers: { [HEADER.error]: "x" } };
    const clean = [ok, ok];
    expect(splitFailures(clean).records).toBe(clean);
    expect(splitFailures([ok, bad, ok])).toEqual({ records: [ok, ok], failures: [bad] });
  });

  it("config: outbox replaces tables; envelope debezium does not go with it", () => {
    expect(configSchema.safeParse({ url: "postgres://x", outbox: {} }).success).toBe(true);
    const both = configSchema.safeParse({ url: "postgres://x", outbox: {}, tables: ["public.a"] });
    expect(both.error?.issues[0]?.message).toMatch(/captures the outbox table only/);
    expect(configSchema.safeParse({ url: "postgres://x" }).error?.issues[0]?.message).toMatch(/name the tables to capture/);
    expect(configSchema.safeParse({ url: "postgres://x", outbox: {}, envelope: "debezium" }).success).toBe(false);
  });
});
