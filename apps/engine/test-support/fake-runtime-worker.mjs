// A stand-in for apps/engine/src/workers/worker-main.ts in the pool's unit tests: it speaks the
// same messages but runs nothing. FAKE_WORKER_IGNORE_TERM=1 makes it ignore SIGTERM.
let name = "?";
process.on("message", (m) => {
  if (m.type === "start") {
    name = m.settings.name;
    process.send({ type: "ready" });
  } else if (m.type === "metrics") {
    process.send({ type: "metrics", requestId: m.requestId, metrics: [{ name: "fake_records_total", help: "records", type: "counter", aggregator: "sum", values: [{ value: 5, labels: { worker: name } }] }] });
  }
});
process.on("SIGTERM", () => {
  if (process.env.FAKE_WORKER_IGNORE_TERM !== "1") process.exit(0);
});
setInterval(() => {}, 1000);
