import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";

/**
 * A password check in front of a Postgres server that has none (the embedded PGlite): it speaks
 * the start of the wire protocol itself (startup message, cleartext password), and only a client
 * that sent the right password is connected through to the backend, which then receives the
 * client's startup message as if first-hand and answers it (AuthenticationOk, ParameterStatus,
 * ReadyForQuery: what a client expects after its password).
 *
 * Cleartext is acceptable because the gate listens on the loopback address only.
 */
export interface PasswordGateOptions {
  host: string;
  port: number;
  password: string;
  /** opens a connection to the unauthenticated backend */
  connectBackend(): Socket;
  maxConnections: number;
  /** how long a client has to send its startup message and password */
  authTimeoutMs?: number;
}

export interface PasswordGate {
  port: number;
  close(): Promise<void>;
}

const PROTOCOL_3 = 196608;
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
// a startup message or password is a few hundred bytes; anything bigger before authentication is refused unread
const MAX_MESSAGE_BYTES = 10 * 1024;
const DEFAULT_AUTH_TIMEOUT_MS = 10_000;
const AUTHENTICATION_CLEARTEXT_PASSWORD = Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]); // 'R', length 8, code 3

export function startPasswordGate(options: PasswordGateOptions): Promise<PasswordGate> {
  const expected = digest(Buffer.from(options.password, "utf8"));
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    authenticate(client, expected, options);
  });
  server.maxConnections = options.maxConnections;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      const address = server.address();
      resolve({
        port: typeof address === "object" && address ? address.port : options.port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

function digest(bytes: Buffer): Buffer {
  return createHash("sha256").update(bytes).digest();
}

/** Reads the client's first messages (buffering partial reads) until it is refused or handed to the backend. */
function authenticate(client: Socket, expected: Buffer, options: PasswordGateOptions): void {
  let pending: Buffer = Buffer.alloc(0);
  let startup: Buffer | undefined;
  let user = "";
  const stopReading = () => {
    clearTimeout(timer);
    client.off("data", onData);
  };
  const fail = (sqlState: string, message: string) => {
    stopReading();
    refuse(client, sqlState, message);
  };
  const timer = setTimeout(() => fail("08006", "authentication timed out"), options.authTimeoutMs ?? DEFAULT_AUTH_TIMEOUT_MS);
  client.on("error", () => client.destroy());
  client.on("close", stopReading);

  const onData = (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    for (;;) {
      if (!startup) {
        // startup-phase messages have no type byte: int32 length (counting itself), int32 code
        if (pending.length < 8) return;
        const length = pending.readInt32BE(0);
        if (length < 8 || length > MAX_MESSAGE_BYTES) return fail("08P01", "invalid startup packet length");
        if (pending.length < length) return;
        const message = pending.subarray(0, length);
        pending = pending.subarray(length);
        const code = message.readInt32BE(4);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          client.write("N"); // not supported: the client carries on unencrypted with a startup message
          continue;
        }
        if (code === CANCEL_REQUEST) {
          stopReading();
          return void client.destroy();
        } // nothing to cancel: PGlite runs one query at a time to its end
        if (code !== PROTOCOL_3) return fail("0A000", "unsupported frontend protocol");
        startup = message;
        user = startupParameter(startup, "user") ?? "";
        client.write(AUTHENTICATION_CLEARTEXT_PASSWORD);
        continue;
      }
      // a typed message: byte type, int32 length (counting itself, not the type)
      if (pending.length < 5) return;
      if (pending[0] !== 0x70 /* 'p' */) return fail("28000", "expected a password message");
      const length = pending.readInt32BE(1);
      if (length < 5 || length > MAX_MESSAGE_BYTES) return fail("08P01", "invalid password message length");
      if (pending.length < 1 + length) return;
      const sent = pending.subarray(5, 1 + length);
      const password = sent[sent.length - 1] === 0 ? sent.subarray(0, sent.length - 1) : sent;
      const rest = pending.subarray(1 + length);
      stopReading();
      if (!timingSafeEqual(digest(password), expected)) {
        return refuse(client, "28P01", `password authentication failed for user "${user}"`);
      }
      return connectThrough(client, Buffer.concat([startup, rest]), options);
    }
  };
  client.on("data", onData);
}

/** Connects an authenticated client to the backend, which answers the replayed startup message. */
function connectThrough(client: Socket, replay: Buffer, options: PasswordGateOptions): void {
  client.pause();
  const backend = options.connectBackend();
  backend.on("error", () => {
    if (!client.destroyed) refuse(client, "57P03", "the embedded database is not available");
    backend.destroy();
  });
  backend.once("connect", () => {
    backend.write(replay);
    client.pipe(backend);
    backend.pipe(client);
    client.on("close", () => backend.destroy());
    backend.on("close", () => client.destroy());
  });
}

/** Sends a FATAL ErrorResponse and closes the connection. */
function refuse(client: Socket, sqlState: string, message: string): void {
  if (client.destroyed) return;
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${sqlState}\0M${message}\0\0`, "utf8");
  const header = Buffer.alloc(5);
  header[0] = 0x45; // 'E'
  header.writeInt32BE(4 + fields.length, 1);
  // destroyed once written: a client that keeps its side open holds nothing
  client.end(Buffer.concat([header, fields]), () => client.destroy());
}

/** A parameter of a startup message (after length and protocol: name\0value\0 pairs, then \0). */
function startupParameter(startup: Buffer, name: string): string | undefined {
  const parts = startup.subarray(8).toString("utf8").split("\0");
  for (let i = 0; i + 1 < parts.length; i += 2) if (parts[i] === name) return parts[i + 1];
  return undefined;
}
