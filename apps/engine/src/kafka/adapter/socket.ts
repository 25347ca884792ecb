import net from "node:net";
import tls from "node:tls";
import type { ISocketFactory } from "kafkajs";

const KEEP_ALIVE_DELAY_MS = 60_000;

/**
 * kafkajs's own socket factory with Nagle's algorithm turned off. kafkajs leaves it on, and a
 * consumer's connection always has a long-polling fetch outstanding: a commit, heartbeat or
 * produce written behind it is held until the broker ACKs the previous segment, which it
 * delays (~40 ms) because it has nothing to send yet. Every such request then took 40–100 ms
 * and a lightly loaded 3-hop flow's latency grew to seconds (bench B2).
 */
export const noDelaySocketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl
    ? tls.connect(Object.assign({ host, port }, !net.isIP(host) ? { servername: host } : {}, ssl), onConnect)
    : net.connect({ host, port }, onConnect);
  socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
  socket.setNoDelay(true);
  return socket;
};
