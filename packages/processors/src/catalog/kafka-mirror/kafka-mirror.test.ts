import { describe, expect, it } from "vitest";
import { configSchema } from "./spec.js";
import { mirrorRules, NameSelection } from "./impl.js";

const issues = (c: unknown) => {
  const r = configSchema.safeParse(c);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("kafka-mirror config", () => {
  it("takes names and /regular expressions/, and says which entry is wrong", () => {
    expect(issues({ to: "west", topics: ["orders", "/payments\\..*/"] })).toEqual([]);
    expect(issues({ to: "west", topics: ["/(unclosed/"] })[0]).toMatch(/^topics\.0: not a regular expression/);
    expect(issues({ to: "west", topics: ["orders", "bad name"] })[0]).toMatch(/^topics\.1: a topic name has letters/);
    expect(issues({ to: "west", topics: [] })[0]).toMatch(/^topics: name at least one topic/);
    expect(issues({ to: "West!", topics: ["a"] })[0]).toMatch(/^to: a connection name/);
  });
  it("refuses copying a cluster onto itself without a prefix", () => {
    expect(issues({ topics: ["orders"] })).toEqual(["prefix: from and to are the same cluster: give a prefix, or each topic would be copied onto itself"]);
    expect(issues({ from: "east", to: "east", topics: ["orders"] })[0]).toMatch(/^prefix: from and to are the same cluster/);
    expect(issues({ topics: ["orders"], prefix: "copy." })).toEqual([]);
    expect(issues({ from: "east", topics: ["orders"] })).toEqual([]);
  });
  it("bounds the intervals", () => {
    expect(issues({ to: "w", topics: ["a"], checkpointIntervalSeconds: 0 })[0]).toMatch(/^checkpointIntervalSeconds: at least 1 second/);
    expect(issues({ to: "w", topics: ["a"], refreshTopicsSeconds: 1.5 })[0]).toMatch(/^refreshTopicsSeconds: a whole number/);
  });
});

describe("kafka-mirror rules", () => {
  it("selects names exactly and patterns on whole names, leaving internal topics to exact names", () => {
    const sel = new NameSelection(["__consumer_offsets", "/orders.*/", "x"]);
    expect(sel.selects("orders")).toBe(true);
    expect(sel.selects("orders-eu")).toBe(true);
    expect(sel.selects("old-orders")).toBe(false);
    expect(sel.selects("x")).toBe(true);
    expect(sel.selects("__consumer_offsets")).toBe(true);
    expect(new NameSelection(["/.*/"]).selects("__consumer_offsets")).toBe(false);
    expect(new NameSelection(["/.*/"]).selects("mr.flow.node.success")).toBe(false);
    expect(new NameSelection(["/.*/"]).selects("east.checkpoints.internal")).toBe(false);
    expect(new NameSelection(["/.*/"]).selects("mr.group", false)).toBe(true);
  });
  it("names copies with the prefix and never copies a copy on the same cluster", () => {
    const same = mirrorRules({ topics: ["/.*/"], prefix: "copy." } as never);
    expect(same.select(["orders", "copy.orders", "__x"])).toEqual(["orders"]);
    expect(same.target("orders")).toBe("copy.orders");
    expect(same.checkpointTopic).toBe("local.checkpoints.internal");
    const across = mirrorRules({ from: "east", to: "west", topics: ["/.*/"] } as never);
    expect(across.select(["orders", "copy.orders"])).toEqual(["orders", "copy.orders"]);
    expect(across.checkpointTopic).toBe("east.checkpoints.internal");
    expect(mirrorRules({ from: "east", to: "west", topics: ["a"], sourceAlias: "dc1" } as never).checkpointTopic).toBe("dc1.checkpoints.internal");
  });
  it("selects groups by the groups list, every group without one", () => {
    expect(mirrorRules({ to: "w", topics: ["a"] } as never).selectsGroup("anything")).toBe(true);
    const some = mirrorRules({ to: "w", topics: ["a"], groups: ["billing", "/rep-.*/"] } as never);
    expect(some.selectsGroup("billing")).toBe(true);
    expect(some.selectsGroup("rep-1")).toBe(true);
    expect(some.selectsGroup("other")).toBe(false);
  });
});
