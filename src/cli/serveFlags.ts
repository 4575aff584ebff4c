import fs from "node:fs/promises";
import type { Command } from "commander";
import { FoxgloveWsServer, type FoxgloveWsServerOptions } from "../sinks/foxglove/FoxgloveWsServer";
import { BadInputError, errorText } from "../types/errors";
import type { CliContext } from "./context";

/** The flags of a Foxglove WebSocket server (`play --serve`, `live --serve`), besides the port. */
export type ServeFlags = {
  host: string;
  token?: string;
  allowOrigin: string[];
  tlsCert?: string;
  tlsKey?: string;
  maxClients: string;
  sendBufferLimit: string;
  slowClientTimeout: string;
  insecure?: boolean;
};

/** The environment variable a token may come from instead of `--token` (kept out of `ps`). */
export const TOKEN_ENV = "AVFUSION_TOKEN";

/** Adds the server's guard flags (`--host` is declared by each command, with its own help). */
export function withServeFlags(command: Command): Command {
  return command
    .option("--token <token>", `clients must present it (?token= or Authorization: Bearer); default $${TOKEN_ENV}`)
    .option(
      "--allow-origin <origins>",
      "browser origins let in besides localhost pages, comma-separated or repeated, e.g. https://app.foxglove.dev",
      (v: string, prev: string[]) => [...prev, ...v.split(",").filter((o) => o.trim() !== "")],
      [] as string[],
    )
    .option("--tls-cert <file>", "PEM certificate: serve wss:// (with --tls-key)")
    .option("--tls-key <file>", "PEM private key of --tls-cert")
    .option("--max-clients <n>", "clients connected at once (more are refused)", "16")
    .option("--send-buffer-limit <MiB>", "bytes queued for one client before its messages are dropped", "8")
    .option("--slow-client-timeout <sec>", "a client over --send-buffer-limit this long is cut off", "5")
    .option("--insecure", "allow a non-loopback --host without a token");
}

async function readPem(flag: string, file: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (err) {
    // By its errno code, not its class: fs errors need not be instances of this realm's Error
    // (jest's sandbox), and then errorText would print them as "Error: ENOENT: ...".
    const code = (err as { code?: unknown }).code;
    const what = typeof code === "string" ? `${code} (${fsReason(code)})` : errorText(err);
    throw new BadInputError({ where: `${flag} ${file}`, what, expected: "a readable PEM file", code: "open" });
  }
}

function fsReason(code: string): string {
  const reasons: Record<string, string> = { ENOENT: "no such file", EACCES: "permission denied", EISDIR: "a directory" };
  return reasons[code] ?? "cannot read";
}

/** A flag's number within [min, max]; `integer` also requires a whole number. */
function flagNumber(flag: string, text: string, min: number, max: number, integer = false): number {
  const v = Number(text);
  if (!(Number.isFinite(v) && v >= min && v <= max && (!integer || Number.isInteger(v))))
    throw new BadInputError({
      where: `${flag} ${text}`,
      what: "",
      expected: `${integer ? "an integer" : "a number"} ${min}..${max}`,
      code: "usage",
    });
  return v;
}

/** The server options the flags name; the token from `--token`, else the environment. */
export async function serveOptions(flags: ServeFlags, env: NodeJS.ProcessEnv = process.env): Promise<FoxgloveWsServerOptions> {
  const maxClients = flagNumber("--max-clients", flags.maxClients, 1, 1024, true);
  // Below 1 MiB ordinary traffic (one camera frame, one point cloud) would already be dropped; the
  // upper bound keeps maxClients × limit within what a machine can hold.
  const maxBufferedBytes = Math.round(flagNumber("--send-buffer-limit", flags.sendBufferLimit, 1, 1024) * 1048576);
  const slowClientMs = Math.round(flagNumber("--slow-client-timeout", flags.slowClientTimeout, 0.1, 3600) * 1000);
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined))
    throw new BadInputError({
      where: "--tls-cert / --tls-key",
      what: "only one given",
      expected: "both (certificate and key)",
      code: "usage",
    });
  const envToken = env[TOKEN_ENV] === "" ? undefined : env[TOKEN_ENV];
  const token = flags.token ?? envToken;
  return {
    host: flags.host,
    maxClients,
    maxBufferedBytes,
    slowClientMs,
    allowOrigins: flags.allowOrigin,
    insecure: flags.insecure === true,
    ...(token === undefined ? {} : { token }),
    ...(flags.tlsCert !== undefined && flags.tlsKey !== undefined
      ? { tls: { cert: await readPem("--tls-cert", flags.tlsCert), key: await readPem("--tls-key", flags.tlsKey) } }
      : {}),
  };
}

/**
 * Listens as the flags say and prints the server's warnings (one line each) to stderr; `offers`
 * are the capabilities the command serves (its clock, its parameters).
 */
export async function listenFromFlags(
  flags: ServeFlags,
  port: number,
  name: string,
  ctx: CliContext,
  offers: Pick<FoxgloveWsServerOptions, "time" | "parameters" | "metadata"> = {},
): Promise<FoxgloveWsServer> {
  const server = await FoxgloveWsServer.listen({ ...(await serveOptions(flags)), ...offers, port, name });
  for (const line of server.warnings) ctx.stderr(`avfusion: warning: ${line}\n`);
  return server;
}

/** One line on what the server held off, or "" when nothing happened. */
export function guardSummary(server: FoxgloveWsServer): string {
  const { closedSlowClient, closedBadFrame, refused } = server.stats;
  const refusedTotal = refused.origin + refused.token + refused.full;
  if (closedSlowClient + closedBadFrame + refusedTotal === 0) return "";
  return (
    `server: ${closedSlowClient} slow client(s) cut off, ${closedBadFrame} closed for a bad frame, ` +
    `${refusedTotal} connection(s) refused (${refused.origin} origin, ${refused.token} token, ${refused.full} full)`
  );
}
