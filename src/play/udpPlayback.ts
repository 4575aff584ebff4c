import dgram from "node:dgram";
import { isRawPacketSchema } from "../decode/vendor/rawPacketDecoders";
import { identifyPacket } from "../decode/vendor/identifyPacket";
import { readPacketMessage } from "../decode/vendor/readPacketMessage";
import { isPacketError } from "../decode/vendor/packetError";
import { createPlaybackStats, pacedPlayback, type PlaybackOptions, type PlaybackStats } from "./serveRecording";
import type { RecordingReadable } from "../sources/mcap/types";
import type { UdpDriver } from "../sources/bridge/udpSource";
import { BadInputError } from "../types/errors";

export type UdpTarget = { host: string; port: number };

export type UdpPlaybackOptions = PlaybackOptions & {
  /** Where each driver's packets go. Packets of a sensor without a target are skipped. */
  targets: Partial<Record<UdpDriver, UdpTarget>>;
};

export type UdpPlaybackStats = PlaybackStats & {
  /** Datagrams sent per driver. */
  byDriver: Partial<Record<UdpDriver, number>>;
  /** Packets whose sensor has no target (or is not a supported driver). */
  untargeted: number;
};

/** Which UDP driver a packet belongs to, from its bytes. */
export function driverOfPacket(data: Uint8Array): UdpDriver | undefined {
  const id = identifyPacket(data);
  if (id.vendor === "velodyne" && id.supported) return "velodyne";
  if (id.vendor === "continental" && id.model === "ARS548") return "ars548";
  return undefined;
}

/**
 * Parse `velodyne:HOST:PORT,ars548:HOST:PORT` (HOST may be omitted: `velodyne:2368` = 127.0.0.1).
 * Throws a one-line bad-input error naming the bad item.
 */
export function parseUdpTargets(spec: string): Partial<Record<UdpDriver, UdpTarget>> {
  const out: Partial<Record<UdpDriver, UdpTarget>> = {};
  for (const item of spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(velodyne|ars548):(?:(.+):)?(\d+)$/.exec(item);
    const port = m ? Number(m[3]) : NaN;
    if (!m || !(port >= 1 && port <= 65535)) {
      throw new BadInputError({
        where: "--udp",
        what: `"${item}"`,
        expected: "DRIVER:[HOST:]PORT with DRIVER velodyne or ars548 and PORT 1..65535",
        code: "usage",
      });
    }
    out[m[1] as UdpDriver] = { host: (m[2] ?? "127.0.0.1").replace(/^\[(.*)\]$/, "$1"), port };
  }
  if (Object.keys(out).length === 0) {
    throw new BadInputError({
      where: "--udp",
      what: `"${spec}" names no target`,
      expected: "e.g. velodyne:127.0.0.1:2368,ars548:127.0.0.1:42102",
      code: "usage",
    });
  }
  return out;
}

/**
 * Send the raw packets of a recording (nebula_msgs/NebulaPackets, velodyne_msgs/VelodyneScan) as
 * UDP datagrams, one per packet, at real time × `rate`, the way the sensors would: each packet
 * leaves at its own receive stamp (clamped to be non-decreasing within its message). Damaged
 * messages are counted in `skipped`, with a one-line reason in `errors`.
 */
export async function playRecordingUdp(source: RecordingReadable, options: UdpPlaybackOptions): Promise<UdpPlaybackStats> {
  const stats: UdpPlaybackStats = { ...createPlaybackStats(), byDriver: {}, untargeted: 0 };
  const rate = options.rate ?? 1;
  const socket = dgram.createSocket(isIpv6(options.targets) ? "udp6" : "udp4");
  socket.on("error", (err) => stats.errors.push(`udp send: ${err.message}`));
  const send = (data: Uint8Array, target: UdpTarget): Promise<void> =>
    new Promise((resolve) => {
      socket.send(data, target.port, target.host, (err) => {
        if (err) stats.errors.push(`udp send to ${target.host}:${target.port}: ${err.message}`);
        resolve();
      });
    });
  try {
    await pacedPlayback(
      source,
      options,
      async (m) => {
        if (!isRawPacketSchema(m.schemaName)) {
          stats.skipped++;
          return;
        }
        let packets;
        try {
          packets = readPacketMessage(m.schemaName, m.schemaData, m.data, `topic ${m.topic}, log time ${m.logTime}`).packets;
        } catch (err) {
          if (!isPacketError(err)) throw err;
          stats.skipped++;
          if (stats.errors.length < 50) stats.errors.push(err.message);
          return;
        }
        // Spread the message's packets over their own stamps, relative to the message's log time
        // (the last packet arrived last; the driver published right after it).
        const lastStamp = packets.length > 0 ? packets[packets.length - 1]!.stamp : 0n;
        const t0 = performance.now();
        for (const p of packets) {
          if (options.signal?.aborted) return;
          const driver = driverOfPacket(p.data);
          const target = driver ? options.targets[driver] : undefined;
          if (!driver || !target) {
            stats.untargeted++;
            continue;
          }
          // Packets stamped within the message's span, at most 1 s before its end.
          const before = lastStamp > p.stamp ? Math.min(1000, Number(lastStamp - p.stamp) / 1e6) : 0;
          const spanMs = packets.length > 1 ? Math.min(1000, Number(lastStamp - packets[0]!.stamp) / 1e6) : 0;
          const dueMs = (spanMs - before) / rate;
          const wait = t0 + dueMs - performance.now();
          if (wait >= 1) await new Promise((resolve) => setTimeout(resolve, wait));
          await send(p.data, target);
          stats.sent++;
          stats.byDriver[driver] = (stats.byDriver[driver] ?? 0) + 1;
        }
      },
      stats,
    );
  } finally {
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
  return stats;
}

function isIpv6(targets: Partial<Record<UdpDriver, UdpTarget>>): boolean {
  return Object.values(targets).some((t) => t !== undefined && t.host.includes(":"));
}
