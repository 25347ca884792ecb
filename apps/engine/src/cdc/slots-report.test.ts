import { describe, expect, it } from "vitest";
import { slotNameFor, type ReplicationSlotRow } from "@millrace/processors/catalog/postgres-cdc/setup";
import { reportSlots } from "./slots-report.js";

const slot = (name: string, active: boolean): ReplicationSlotRow => ({ name, database: "shop", plugin: "pgoutput", active, retainedBytes: 4096, confirmedLsn: "0/1", walStatus: "reserved" });

describe("cdc slots report", () => {
  it("names each slot's flow node; a slot no deployed node owns is orphaned", () => {
    const running = slotNameFor("orders", "cdc");
    const stopped = slotNameFor("billing", "capture");
    const gone = slotNameFor("deleted", "cdc");
    const report = reportSlots(
      [slot(running, true), slot(stopped, false), slot(gone, false)],
      [{ flowId: "orders", nodeId: "cdc" }],
      [
        { flowId: "orders", nodeId: "cdc" },
        { flowId: "billing", nodeId: "capture" },
      ],
    );
    expect(report.map((r) => [r.slot, r.flowId, r.nodeId, r.flowExists, r.deployed, r.orphaned])).toEqual([
      [running, "orders", "cdc", true, true, false],
      [stopped, "billing", "capture", true, false, true],
      [gone, null, null, false, false, true],
    ]);
    expect(report[0]).toMatchObject({ active: true, retainedBytes: 4096, database: "shop", walStatus: "reserved" });
  });
});
