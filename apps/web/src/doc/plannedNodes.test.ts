import { describe, expect, it } from "vitest";
import { documentNodeId } from "./plannedNodes";

describe("plan node ids in the designer", () => {
  const doc = new Set(["kafka-source-1", "table-1", "odd__key"]);
  const has = (id: string) => doc.has(id);

  it("a set-key step the planner added stands for the stateful node it feeds", () => {
    expect(documentNodeId("table-1__key", has)).toBe("table-1");
  });

  it("ids of the document, and unknown ones, stay as they are", () => {
    expect(documentNodeId("kafka-source-1", has)).toBe("kafka-source-1");
    expect(documentNodeId("odd__key", has)).toBe("odd__key");
    expect(documentNodeId("gone__key", has)).toBe("gone__key");
    expect(documentNodeId("__key", has)).toBe("__key");
  });
});
