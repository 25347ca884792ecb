import { describe, expect, it } from "vitest";
import { deriveEvents, eventOfCode, type NodeFacts } from "./events.js";
import { maskHeaders, MASK } from "../tap/mask.js";

const types = (codes: string) => [...codes].map((c) => (c === "." ? "." : eventOfCode(c)));

function facts(p: Partial<NodeFacts> & Pick<NodeFacts, "inIds" | "outIds">): NodeFacts {
  return {
    kind: "transform",
    outParents: p.outIds.map((_, i) => i),
    outPorts: p.outIds.map(() => "success"),
    ...p,
  };
}

describe("event types derived from a node's batch", () => {
  it("filter: kept records are ROUTE (same id), filtered-out ones DROP, failures FAILURE", () => {
    const ev = deriveEvents(facts({ inIds: ["a", "b", "c", "d"], outIds: ["a", "c", "d2"], outParents: [0, 2, 3], outPorts: ["success", "success", "failure"] }));
    expect(types(ev.out)).toEqual(["ROUTE", "ROUTE", "FAILURE"]);
    expect(types(ev.in)).toEqual([".", "DROP", ".", "."]);
  });

  it("null parents / ports mean output i from input i, all to success (what the recorder passes when nothing was dropped or routed)", () => {
    const f = { kind: "transform", inIds: ["a", "b"], outIds: ["a", "b2"] } as const;
    expect(deriveEvents({ ...f, outParents: null, outPorts: null })).toEqual(deriveEvents({ ...f, outParents: [0, 1], outPorts: ["success", "success"] }));
    expect(types(deriveEvents({ ...f, outParents: null, outPorts: null }).out)).toEqual(["ROUTE", "MODIFY"]);
    expect(deriveEvents({ kind: "sink", inIds: ["a"], outIds: [], outParents: null, outPorts: null })).toEqual({ out: "", in: "S" });
  });

  it("map: a derived record (new id) is MODIFY", () => {
    const ev = deriveEvents(facts({ inIds: ["a", "b"], outIds: ["x", "y"] }));
    expect(types(ev.out)).toEqual(["MODIFY", "MODIFY"]);
    expect(ev.in).toBe("..");
  });

  it("flat-map: children are FORK, also a single child; an empty array drops its input", () => {
    const ev = deriveEvents(facts({ forks: true, inIds: ["a", "b", "c"], outIds: ["a1", "a2", "b1"], outParents: [0, 0, 1] }));
    expect(types(ev.out)).toEqual(["FORK", "FORK", "FORK"]);
    expect(types(ev.in)).toEqual([".", ".", "DROP"]);
    // any node deriving several records from one input forks it
    expect(types(deriveEvents(facts({ inIds: ["a"], outIds: ["x", "y"], outParents: [0, 0] })).out)).toEqual(["FORK", "FORK"]);
  });

  it("route: the chosen port is ROUTE", () => {
    const ev = deriveEvents(facts({ inIds: ["a", "b"], outIds: ["a", "b"], outPorts: ["low", "unmatched"] }));
    expect(types(ev.out)).toEqual(["ROUTE", "ROUTE"]);
  });

  it("kafka-sink: SEND; its failure port FAILURE; a sink without outputs (log) SENDs its inputs", () => {
    const sink = deriveEvents(facts({ kind: "sink", inIds: ["a", "b"], outIds: ["a", "b2"], outPorts: ["success", "failure"] }));
    expect(types(sink.out)).toEqual(["SEND", "FAILURE"]);
    const log = deriveEvents(facts({ kind: "sink", inIds: ["a", "b"], outIds: [], outParents: [], outPorts: [] }));
    expect(types(log.in)).toEqual(["SEND", "SEND"]);
  });

  it("sources: generate CREATEs (no inputs), kafka-source RECEIVEs (its inputs are the external messages)", () => {
    expect(types(deriveEvents(facts({ kind: "source", inIds: [], outIds: ["a", "b"], outParents: [-1, -1] })).out)).toEqual(["CREATE", "CREATE"]);
    expect(types(deriveEvents(facts({ kind: "source", inIds: ["a"], outIds: ["a"] })).out)).toEqual(["RECEIVE"]);
  });

  it("unknown node kind (plan not found): still a sensible guess", () => {
    const ev = deriveEvents(facts({ kind: undefined, inIds: ["a", "b"], outIds: ["a", "z"] }));
    expect(types(ev.out)).toEqual(["ROUTE", "MODIFY"]);
  });
});

describe("tap header masking", () => {
  it("masks names that look like credentials, case-insensitively, and keeps the rest", () => {
    const h = {
      Authorization: "Bearer abc",
      "x-api-key": "k1",
      apiKey: "k2",
      "X-Auth-Token": "t",
      client_secret: "s",
      PASSWORD: "p",
      cookie: "c=1",
      "set-cookie": "c=2",
      "mr.id": "rec1",
      "mr.parents": "rec0",
      "mr.principal": "alice",
      "mr.auth": "token",
      "content-type": "application/json",
      trace: "t-1",
    };
    const m = maskHeaders(h);
    for (const k of ["Authorization", "x-api-key", "apiKey", "X-Auth-Token", "client_secret", "PASSWORD", "cookie", "set-cookie"]) expect(m[k], k).toBe(MASK);
    expect(m["mr.id"]).toBe("rec1");
    expect(m["mr.parents"]).toBe("rec0");
    expect(m["mr.principal"]).toBe("alice"); // who sent it, and how: shown as they are
    expect(m["mr.auth"]).toBe("token");
    expect(m["content-type"]).toBe("application/json");
    expect(m.trace).toBe("t-1");
    expect(h.Authorization).toBe("Bearer abc"); // the input is not touched
  });
});
