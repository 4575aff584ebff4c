import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { BadInputError } from "../../types/errors";

/** Who may open a WebSocket on the server: checked during the HTTP upgrade, before any protocol byte. */
export type AdmissionPolicy = {
  /** Browser origins let in besides the loopback ones (normalized by `parseOrigin`). */
  allowOrigins: ReadonlySet<string>;
  /** When set, every client presents it (`?token=` or `Authorization: Bearer`). */
  token: string | undefined;
  maxClients: number;
};

/** Why an upgrade was refused, and the HTTP answer it gets. */
export type Refusal = { why: "origin" | "token" | "full"; status: number; message: string; headers?: Record<string, string> };

/** localhost, 127.0.0.0/8, ::1 (also IPv4-mapped, and in brackets). */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1");
  if (h === "localhost") return true;
  const v4 = h.startsWith("::ffff:") ? h.slice(7) : h;
  if (isIP(v4) === 4) return v4.startsWith("127.");
  return isIP(h) === 6 && (h === "::1" || h === "0:0:0:0:0:0:0:1");
}

/** `scheme://host[:port]` of an http(s) origin, lowercase; undefined for anything else (`null`, paths). */
export function parseOrigin(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  if (url.username || url.password || url.search || url.hash || (url.pathname !== "/" && url.pathname !== "")) return undefined;
  return url.origin.toLowerCase();
}

/** The allow-list from `--allow-origin` values; one that is not an origin is a usage error. */
export function originAllowList(origins: readonly string[] = []): Set<string> {
  const out = new Set<string>();
  for (const text of origins) {
    const origin = parseOrigin(text.trim().replace(/\/$/, ""));
    if (!origin)
      throw new BadInputError({
        where: `--allow-origin ${text}`,
        what: "",
        expected: "a browser origin scheme://host[:port] with no path, e.g. https://app.foxglove.dev",
        code: "usage",
      });
    out.add(origin);
  }
  return out;
}

/**
 * Non-browser clients (ws in Node, foxglove_bridge tools, our own source) send no Origin: let in.
 * A page served from this machine (http(s)://localhost, 127.x, [::1]) or an allow-listed origin:
 * let in. Any other origin, `null` (sandboxed frames, file:) included: refused, so a page from any
 * site open in the user's browser cannot read the stream from 127.0.0.1.
 */
export function originAllowed(origin: string | undefined, allow: ReadonlySet<string>): boolean {
  if (origin === undefined) return true;
  const parsed = parseOrigin(origin);
  if (!parsed) return false;
  return allow.has(parsed) || isLoopbackHost(new URL(parsed).hostname);
}

/** The token a client presents: `Authorization: Bearer T`, else the `token` query parameter. */
export function presentedToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  const bearer = auth === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1];
  if (bearer !== undefined) return bearer;
  try {
    return new URL(req.url ?? "/", "http://localhost").searchParams.get("token") ?? undefined;
  } catch {
    return undefined;
  }
}

const digest = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();

/** Constant-time comparison (of digests, so lengths do not leak either). */
export function tokenMatches(presented: string | undefined, token: string): boolean {
  return presented !== undefined && timingSafeEqual(digest(presented), digest(token));
}

/** A token from `--token` / AVFUSION_TOKEN: printable, no spaces, 1..256 characters. */
export function checkToken(token: string, where = "--token"): string {
  if (!/^[\x21-\x7e]{1,256}$/.test(token))
    throw new BadInputError({
      where,
      what: `${token.length} character(s)`,
      expected: "1 to 256 printable characters, no spaces",
      code: "usage",
    });
  return token;
}

/** Undefined to let the upgrade through; else the refusal to answer with. `clients` = connected now. */
export function admit(req: IncomingMessage, policy: AdmissionPolicy, clients: number): Refusal | undefined {
  const origin = req.headers.origin;
  if (!originAllowed(origin, policy.allowOrigins)) return { why: "origin", status: 403, message: `origin ${origin} not allowed` };
  if (policy.token !== undefined && !tokenMatches(presentedToken(req), policy.token))
    return { why: "token", status: 401, message: "token required", headers: { "WWW-Authenticate": 'Bearer realm="avfusion"' } };
  if (clients >= policy.maxClients)
    return {
      why: "full",
      status: 503,
      message: `${policy.maxClients} client(s) connected, the most allowed`,
      headers: { "Retry-After": "5" },
    };
  return undefined;
}

/**
 * Serving beyond loopback: refused without a token (unless `insecure`), because a warning on
 * stderr is easily missed by a scripted rig while anyone on the network reads the sensors. Else
 * always one warning, saying how exposed it is: no token (`insecure`), a token in clear text (no
 * TLS), or reachable from the network with token and TLS.
 */
export function exposureWarnings(host: string, opts: { token?: string; tls: boolean; insecure?: boolean }): string[] {
  if (isLoopbackHost(host)) return [];
  if (opts.token === undefined) {
    if (!opts.insecure)
      throw new BadInputError({
        where: `Foxglove WebSocket server --host ${host}`,
        what: "not a loopback address and no token",
        expected: "--token T (or AVFUSION_TOKEN), or --insecure to let in anyone who can reach it",
        code: "usage",
      });
    return [`serving on ${host} with no token (--insecure): anyone who can reach this address can read the stream`];
  }
  if (!opts.tls)
    return [`serving on ${host} without TLS: the token and the stream cross the network in clear text (--tls-cert, --tls-key)`];
  return [`serving on ${host}: reachable from the network, clients need the token (wss://)`];
}
