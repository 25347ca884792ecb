import { describe, expect, it } from "vitest";
import { replicationLine, replicationRows, summarizeReplication } from "./replication";

const figures = {
  orders: { target: "copy.orders", records: 1200, lag: 0, partitions: 3 },
  payments: { target: "copy.payments", records: 40, lag: 15_300, partitions: 6 },
  audit: { target: "copy.audit", records: 7, lag: 0, partitions: 1 },
};

describe("kafka-mirror live figures", () => {
  it("one row per source topic with its copy, the most behind first, then by name", () => {
    expect(replicationRows(figures)).toEqual([
      { source: "payments", target: "copy.payments", records: 40, lag: 15_300, partitions: 6 },
      { source: "audit", target: "copy.audit", records: 7, lag: 0, partitions: 1 },
      { source: "orders", target: "copy.orders", records: 1200, lag: 0, partitions: 3 },
    ]);
    expect(replicationRows(undefined)).toEqual([]);
  });

  it("sums records and lag over the topics", () => {
    expect(summarizeReplication(figures)).toEqual({ topics: 3, records: 1247, lag: 15_300 });
    expect(summarizeReplication({})).toEqual({ topics: 0, records: 0, lag: 0 });
  });

  it("the node's line names a single topic and its copy, counts several", () => {
    expect(replicationLine({ orders: figures.orders })).toEqual({ what: "orders → copy.orders", lag: "lag 0" });
    expect(replicationLine(figures)).toEqual({ what: "3 topics", lag: "lag 15.3k" });
    expect(replicationLine(undefined)).toEqual({ what: "no topic yet", lag: "lag 0" });
  });
});
