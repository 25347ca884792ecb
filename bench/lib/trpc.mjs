// A minimal tRPC v11 HTTP client (no transformer on the engine): GET for queries, POST for mutations.
// `token`: an API token (auth.cliLogin), sent as `Authorization: Bearer`; every procedure but the logins needs one.
export function trpcClient(baseUrl, token) {
  const auth = token ? { authorization: `Bearer ${token}` } : {};
  async function call(kind, path, input) {
    const url = `${baseUrl}/trpc/${path}`;
    const res =
      kind === "query"
        ? await fetch(input === undefined ? url : `${url}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers: auth })
        : await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...auth }, body: JSON.stringify(input ?? null) });
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

/** Logs in for a program: an API token with the user's role. */
export async function loginToken(baseUrl, name, password) {
  return (await trpcClient(baseUrl).mutate("auth.cliLogin", { name, password, tokenName: "bench" })).token;
}

/** Logs in like the designer does: the session cookie ({ name, value }) a browser context can be given. */
export async function loginCookie(baseUrl, name, password) {
  const res = await fetch(`${baseUrl}/trpc/auth.login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name, password }) });
  const cookie = res.headers.get("set-cookie");
  if (!res.ok || !cookie) throw new Error(`auth.login as ${name}: HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
  const [pair] = cookie.split(";");
  const eq = pair.indexOf("=");
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1) };
}
