// A minimal tRPC v11 HTTP client (no transformer on the engine): GET for queries, POST for mutations.
export function trpcClient(baseUrl) {
  async function call(kind, path, input) {
    const url = `${baseUrl}/trpc/${path}`;
    const res =
      kind === "query"
        ? await fetch(input === undefined ? url : `${url}?input=${encodeURIComponent(JSON.stringify(input))}`)
        : await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(input ?? null) });
    const text = await res.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`${path}: HTTP ${res.status}: ${text.slice(0, 300)}`);
    }
    if (body.error) {
      const e = new Error(`${path}: ${body.error.message ?? JSON.stringify(body.error)}`);
      e.code = body.error.data?.code;
      e.data = body.error.data;
      throw e;
    }
    return body.result?.data;
  }
  return {
    query: (path, input) => call("query", path, input),
    mutate: (path, input) => call("mutation", path, input),
  };
}
