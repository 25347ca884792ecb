import { describe, expect, it } from "vitest";
import { retriableMetadataError } from "./client.js";

const protocol = (type: string, retriable: boolean) => Object.assign(new Error(type), { name: "KafkaJSProtocolError", type, retriable });

describe("retriableMetadataError", () => {
  it("finds a metadata error or a retriable protocol error in the cause chain, kafkajs's retry wrapper included", () => {
    const unknown = protocol("UNKNOWN_TOPIC_OR_PARTITION", true);
    expect(retriableMetadataError(unknown)).toBe(unknown);
    const wrapped = Object.assign(new Error("gave up", { cause: unknown }), { name: "KafkaJSNumberOfRetriesExceeded", retriable: false });
    expect(retriableMetadataError(wrapped)).toBe(unknown);
    const leader = protocol("LEADER_NOT_AVAILABLE", true);
    expect(retriableMetadataError(leader)).toBe(leader);
    const other = protocol("REQUEST_TIMED_OUT", true);
    expect(retriableMetadataError(other)).toBe(other);
  });

  it("leaves final errors, coordinator moves (retried elsewhere) and connection errors alone", () => {
    expect(retriableMetadataError(protocol("TOPIC_AUTHORIZATION_FAILED", false))).toBeUndefined();
    expect(retriableMetadataError(protocol("NOT_COORDINATOR", true))).toBeUndefined();
    expect(retriableMetadataError(Object.assign(new Error("ECONNREFUSED"), { name: "KafkaJSConnectionError", retriable: true }))).toBeUndefined();
    expect(retriableMetadataError("not an error")).toBeUndefined();
  });
});
