// SASL/SCRAM and ACL settings for the project's local Kafka broker: checks what the caller
// asks for, and turns it into server.properties lines and StorageTool --add-scram arguments.
//
// SCRAM users on a KRaft broker live in the metadata log, so they are seeded when the storage
// is formatted (KIP-900); a broker already formatted keeps the users it was formatted with.

export const SCRAM_MECHANISMS = ["SCRAM-SHA-256", "SCRAM-SHA-512"];
export const SASL_LISTENER = "SASL_PLAINTEXT";
const STANDARD_AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer";

// Principal names go into super.users (';'-separated) and ACLs: keep them plain.
const USER_NAME = /^[A-Za-z0-9._-]+$/;
// Passwords go unescaped into a JAAS string ("...") in a properties file and into StorageTool's
// [name=..,password=..] syntax: printable ASCII without the characters those formats treat specially.
const PASSWORD = /^[\x21-\x7e]+$/;
const PASSWORD_FORBIDDEN = /["\\,[\]=]/;

/**
 * Checks and completes the `sasl` and `acls` options of startKafka. Returns undefined for a
 * plain broker, or { users, mechanisms, superUsers, acls, admin } where `admin` is the super user
 * the broker authenticates as between its own listeners and the readiness check logs in as.
 * Throws naming the bad field.
 */
export function resolveSasl(sasl, acls = false) {
  if (sasl === undefined || sasl === null) {
    if (acls) throw new Error("startKafka: acls needs sasl (without authentication every client is User:ANONYMOUS, a super user)");
    return undefined;
  }
  if (typeof sasl !== "object") throw new Error("startKafka: sasl must be an object { users, mechanisms?, superUsers? }");
  const { users, mechanisms = SCRAM_MECHANISMS, superUsers = ["admin"] } = sasl;
  if (!Array.isArray(users) || users.length === 0) throw new Error("startKafka: sasl.users must list at least one { name, password }");
  const seen = new Set();
  users.forEach((u, i) => {
    const where = `sasl.users[${i}]`;
    if (!u || typeof u.name !== "string" || !USER_NAME.test(u.name)) {
      throw new Error(`startKafka: ${where}.name must be letters, digits, '.', '_' or '-', got ${JSON.stringify(u?.name)}`);
    }
    if (seen.has(u.name)) throw new Error(`startKafka: ${where}.name "${u.name}" is listed twice`);
    seen.add(u.name);
    if (typeof u.password !== "string" || !PASSWORD.test(u.password) || PASSWORD_FORBIDDEN.test(u.password)) {
      throw new Error(`startKafka: ${where}.password (user "${u.name}") must be printable ASCII without spaces, quotes, backslashes, ',', '[', ']' or '='`);
    }
  });
  if (!Array.isArray(mechanisms) || mechanisms.length === 0) throw new Error(`startKafka: sasl.mechanisms must list one or more of ${SCRAM_MECHANISMS.join(", ")}`);
  for (const m of mechanisms) {
    if (!SCRAM_MECHANISMS.includes(m)) throw new Error(`startKafka: sasl.mechanisms: unknown mechanism ${JSON.stringify(m)} (choose from ${SCRAM_MECHANISMS.join(", ")})`);
  }
  if (!Array.isArray(superUsers) || superUsers.length === 0) throw new Error("startKafka: sasl.superUsers must name at least one user");
  superUsers.forEach((s, i) => {
    if (!seen.has(s)) throw new Error(`startKafka: sasl.superUsers[${i}] "${s}" is not one of sasl.users (${[...seen].join(", ")})`);
  });
  const admin = users.find((u) => u.name === superUsers[0]);
  return {
    users: users.map((u) => ({ name: u.name, password: u.password })),
    mechanisms: [...new Set(mechanisms)],
    superUsers: [...new Set(superUsers)],
    acls: Boolean(acls),
    admin: { name: admin.name, password: admin.password },
  };
}

/**
 * `name:password[,name:password...]` (the CLI's --sasl) -> [{ name, password }]. The password
 * is everything after the first ':'.
 */
export function parseSaslUsers(text) {
  if (typeof text !== "string" || text.trim() === "") throw new Error("--sasl needs name:password[,name:password...]");
  return text.split(",").map((pair, i) => {
    const colon = pair.indexOf(":");
    if (colon <= 0 || colon === pair.length - 1) throw new Error(`--sasl: entry ${i + 1} ("${pair.split(":")[0]}") must be name:password`);
    return { name: pair.slice(0, colon).trim(), password: pair.slice(colon + 1) };
  });
}

/** The server.properties lines of the client listener, its SCRAM logins and the authorizer. */
export function saslServerProperties(resolved, { port, controllerPort }) {
  const listener = SASL_LISTENER.toLowerCase();
  const jaas = `org.apache.kafka.common.security.scram.ScramLoginModule required username="${resolved.admin.name}" password="${resolved.admin.password}";`;
  const lines = [
    `listeners=${SASL_LISTENER}://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=${SASL_LISTENER}://127.0.0.1:${port}`,
    `inter.broker.listener.name=${SASL_LISTENER}`,
    "controller.listener.names=CONTROLLER",
    `listener.security.protocol.map=CONTROLLER:PLAINTEXT,${SASL_LISTENER}:${SASL_LISTENER}`,
    `sasl.enabled.mechanisms=${resolved.mechanisms.join(",")}`,
    `sasl.mechanism.inter.broker.protocol=${resolved.mechanisms[0]}`,
    // Without a login per enabled mechanism the broker dies at start ("Could not find a 'KafkaServer' ...").
    ...resolved.mechanisms.map((m) => `listener.name.${listener}.${m.toLowerCase()}.sasl.jaas.config=${jaas}`),
  ];
  if (resolved.acls) {
    lines.push(
      `authorizer.class.name=${STANDARD_AUTHORIZER}`,
      "allow.everyone.if.no.acl.found=false",
      // The controller listener is PLAINTEXT (loopback), so the broker reaches its own controller
      // as User:ANONYMOUS; without it as a super user the node cannot register.
      `super.users=${[...resolved.superUsers, "ANONYMOUS"].map((u) => `User:${u}`).join(";")}`,
    );
  }
  return lines;
}

/** StorageTool format arguments seeding every user under every enabled mechanism. */
export function scramFormatArgs(resolved) {
  return resolved.mechanisms.flatMap((m) => resolved.users.flatMap((u) => ["--add-scram", `${m}=[name=${u.name},password=${u.password}]`]));
}

/** kafkajs's `sasl` client option for `user` (default: the admin super user). */
export function kafkajsSasl(resolved, user = resolved.admin) {
  return { mechanism: resolved.mechanisms[0].toLowerCase(), username: user.name, password: user.password };
}

/** What a started broker's node.json remembers of its security (no passwords). */
export function saslRecord(resolved) {
  return resolved ? { mechanisms: resolved.mechanisms, users: resolved.users.map((u) => u.name), superUsers: resolved.superUsers, acls: resolved.acls } : undefined;
}

/**
 * Why a data dir formatted with `saved` (a saslRecord, or undefined when formatted plain) cannot
 * serve `resolved`, or undefined when it can.
 */
export function formattedMismatch(saved, resolved) {
  if (!resolved) return undefined;
  if (!saved) return "its storage was formatted for a plain broker, without SCRAM users";
  const missingUsers = resolved.users.map((u) => u.name).filter((n) => !saved.users.includes(n));
  if (missingUsers.length) return `its storage was formatted with the SCRAM users ${saved.users.join(", ")}, not ${missingUsers.join(", ")}`;
  const missingMechs = resolved.mechanisms.filter((m) => !saved.mechanisms.includes(m));
  if (missingMechs.length) return `its storage was formatted with the mechanisms ${saved.mechanisms.join(", ")}, not ${missingMechs.join(", ")}`;
  return undefined;
}
