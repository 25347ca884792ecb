// Against the REAL broker at KAFKA_BROKERS (scripts/test.mjs starts one).
import net from "node:net";
import { afterEach, expect, it, vi } from "vitest";
import { testBrokers } from "@millrace/testkit";
import { createKafka } from "../index.js";

afterEach(() => vi.restoreAllMocks());

it("opens every broker connection with Nagle's algorithm off (a request behind a long-polling fetch is not held back)", async () => {
  const setNoDelay = vi.spyOn(net.Socket.prototype, "setNoDelay");
  const kafka = createKafka({ brokers: testBrokers(), clientId: "millrace-socket-test" });
  const producer = kafka.producer({});
  try {
    await producer.connect();
    await kafka.listTopics();
  } finally {
    await producer.disconnect();
    await kafka.close();
  }
  expect(setNoDelay.mock.calls.length).toBeGreaterThan(0);
  expect(setNoDelay.mock.calls.every((args) => args[0] === true)).toBe(true);
});
