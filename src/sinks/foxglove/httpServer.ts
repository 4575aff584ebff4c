import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { BadInputError, errorText } from "../../types/errors";
import type { FoxgloveWsServerOptions } from "./serverTypes";

const WHERE = "Foxglove WebSocket server";

/** The protocol carries schemas as strings: binary encodings base64, text encodings as they are. */
export function schemaText(encoding: string, data: Uint8Array): string {
  if (encoding === "protobuf" || encoding === "flatbuffer")
    return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("utf8");
}

export function positiveInt(name: string, value: number | undefined, dflt: number): number {
  const v = value ?? dflt;
  if (!(Number.isInteger(v) && v > 0))
    throw new BadInputError({ where: `${WHERE} ${name}`, what: `${v}`, expected: "a positive integer", code: "usage" });
  return v;
}

/** An http or https server that answers plain requests with 426 and gives up on slow handshakes. */
export function createHttpServer(tls: FoxgloveWsServerOptions["tls"], maxClients: number): http.Server {
  const onRequest = (_req: http.IncomingMessage, res: http.ServerResponse): void => {
    res.writeHead(426, { "Content-Type": "text/plain", Upgrade: "websocket", Connection: "close" });
    res.end("Foxglove WebSocket server (foxglove.websocket.v1): connect with a WebSocket client\n");
  };
  let server: http.Server;
  try {
    server = tls ? https.createServer({ cert: tls.cert, key: tls.key }, onRequest) : http.createServer(onRequest);
  } catch (err) {
    throw new BadInputError({
      where: `${WHERE} TLS certificate / key`,
      what: errorText(err),
      expected: "a PEM certificate and its private key",
      code: "usage",
    });
  }
  // Half-open handshakes (never finishing their headers) neither linger nor pile up.
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  server.maxConnections = maxClients + 32;
  return server;
}

export async function bind(server: http.Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      reject(new BadInputError({ where: WHERE, what: `cannot listen on ${host}:${port}: ${err.message}`, code: "usage" }));
    };
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
