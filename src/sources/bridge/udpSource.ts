import dgram from "node:dgram";
import type { AddressInfo } from "node:net";
import { asyncScheduler, Observable, type SchedulerLike } from "rxjs";
import type { DatagramDecoder, Nanos, PointCloudFrame, RadarFrame } from "../../types";
import { BadInputError } from "../../types/errors";
import { deferOn, wallClockNs } from "./clock";
import { DatagramQueue } from "./DatagramQueue";

/** Sensor families we can listen for over UDP. */
export type UdpDriver = "velodyne" | "ars548";

/** The ports the vendors' units send to by default. */
export const DEFAULT_UDP_PORTS: Readonly<Record<UdpDriver, number>> = { velodyne: 2368, ars548: 42102 };

/**
 * Datagrams per second accepted per sensor before the rest are dropped (counted), so a flood
 * costs bounded CPU: ≈ 4× what the fastest supported unit sends (VLS-128 ≈ 6000 packets/s at
 * 10 Hz; ARS548 ≈ 60 lists/s at 20 Hz).
 */
export const DEFAULT_MAX_DATAGRAMS_PER_SEC: Readonly<Record<UdpDriver, number>> = { velodyne: 25_000, ars548: 250 };

export type UdpSensorSpec<D = unknown> = {
  driver: UdpDriver;
  /** 0 = ephemeral (read it from `onListening`). */
  port: number;
  /** Address to bind; default 0.0.0.0. */
  host?: string;
  /** Join this multicast group (the ARS548 sends to 224.0.2.2 by default). */
  multicastGroup?: string;
  /** Default `<driver>_<port>`. */
  sensorId?: string;
  /** Topic the frames carry; default `udp:<driver>:<port>`. */
  topic?: string;
  /** Options for its datagram decoder (the vendor decoders': model, frameId, ARS548 mounting, ...), passed to `createDecoder`. */
  decoder?: D;
  /** Default DEFAULT_MAX_DATAGRAMS_PER_SEC[driver]; Infinity = no limit. */
  maxDatagramsPerSec?: number;
};

/** A sensor as the UDP source resolved it: its spec with the sensor id and topic filled in. */
export type ResolvedUdpSensor<D = unknown> = UdpSensorSpec<D> & { sensorId: string; topic: string };

export type UdpSourceOptions<D = unknown> = {
  sensors: readonly UdpSensorSpec<D>[];
  /**
   * One datagram decoder per sensor (`udpSource` only; `udpDatagrams` passes datagrams on as they
   * are). The vendor decoders live in the decode stage: `createVendorDatagramDecoder` wires them.
   */
  createDecoder?: (sensor: ResolvedUdpSensor<D>) => DatagramDecoder;
  /**
   * Datagrams held between the sockets and the decoders (all sensors together; default 1024).
   * When full the oldest is dropped and counted: memory stays bounded while the consumer is slow.
   */
  maxQueuedDatagrams?: number;
  /** Called once per sensor when its socket is bound (with the bound port). */
  onListening?: (sensor: UdpSensorSpec & { sensorId: string; topic: string }, address: AddressInfo) => void;
  /**
   * Kernel receive buffer per socket (SO_RCVBUF), so a stalled event loop (GC, a slow consumer)
   * does not lose datagrams: default 4 MiB (≈ 1700 Velodyne packets); Linux caps it at
   * net.core.rmem_max.
   */
  recvBufferBytes?: number;
  /** Pass your own (createUdpStats()) to read the counters while running. */
  stats?: UdpSourceStats;
  /** Arrival clock (ns); default the wall clock. */
  clock?: () => Nanos;
};

export type UdpSensorStats = {
  sensorId: string;
  driver: UdpDriver;
  port: number;
  datagrams: number;
  bytes: number;
  /** Datagrams handed to the decoder (= datagrams − dropped − still queued). */
  decoded: number;
  frames: number;
  /** Truncated / garbage datagrams (counted and skipped). */
  malformed: number;
  /** Dropped by the rate limit (flood). */
  droppedRate: number;
  /** Dropped because the queue was full (consumer too slow). */
  droppedQueue: number;
  /** Arrival time of the last datagram (ns), 0 before any. */
  lastDatagramAt: Nanos;
};

export type UdpSourceStats = {
  sensors: Map<string, UdpSensorStats>;
  /** Most datagrams queued at once. */
  maxQueued: number;
  /** One line per malformed datagram (the last 50). */
  errors: string[];
};

export function createUdpStats(): UdpSourceStats {
  return { sensors: new Map(), maxQueued: 0, errors: [] };
}

export type UdpFrame = RadarFrame | PointCloudFrame;

type Listener = {
  // The decoder options are opaque here; only createDecoder reads them.
  spec: UdpSensorSpec;
  sensorId: string;
  topic: string;
  /** Address the socket binds. */
  host: string;
  decoder: DatagramDecoder | undefined;
  stats: UdpSensorStats;
  socket: dgram.Socket;
  /** Token bucket for the rate limit. */
  tokens: number;
  capacity: number;
  perMs: number;
  lastRefill: number;
};

/**
 * UDP sensor drivers: listens on each sensor's port like the unit sends (Velodyne 2368, ARS548
 * 42102) and decodes datagrams with the vendor decoders into frames — ARS548 lists as they arrive,
 * Velodyne points per rotation. Truncated / garbage datagrams are counted and skipped; a flood is
 * cut by a per-sensor rate limit and a bounded queue, both counted. Never completes on its own;
 * unsubscribe closes the sockets. Errors only when a port cannot be bound (one-line message).
 */
export function udpSource<D>(options: UdpSourceOptions<D>, scheduler: SchedulerLike = asyncScheduler): Observable<UdpFrame> {
  const createDecoder = options.createDecoder;
  if (createDecoder === undefined) throw new TypeError("udpSource: createDecoder is required (e.g. createVendorDatagramDecoder)");
  return listenUdp<UdpFrame, D>(options, scheduler, (listener, data, at, stats, next) => {
    const result = listener.decoder!.push(data, at);
    if (result.malformed > 0) {
      listener.stats.malformed += result.malformed;
      for (const e of result.errors) {
        stats.errors.push(e);
        if (stats.errors.length > 50) stats.errors.shift();
      }
    }
    for (const frame of result.frames) {
      listener.stats.frames++;
      next(frame);
    }
  });
}

/** One datagram as received, after the rate limit and the queue (`udpDatagrams`). */
export type UdpDatagram = { sensorId: string; topic: string; driver: UdpDriver; data: Uint8Array; receivedAt: Nanos };

/**
 * The same sockets, rate limit and bounded queue as `udpSource`, but the datagrams are emitted
 * as received instead of decoded (for consumers that decode them elsewhere, e.g. the live pipeline's
 * decode stage). `frames` and `malformed` stay 0 in the stats.
 */
export function udpDatagrams<D>(options: UdpSourceOptions<D>, scheduler: SchedulerLike = asyncScheduler): Observable<UdpDatagram> {
  return listenUdp<UdpDatagram, D>(options, scheduler, (listener, data, at, _stats, next) =>
    next({ sensorId: listener.sensorId, topic: listener.topic, driver: listener.spec.driver, data, receivedAt: at }),
  );
}

type Handle<T> = (listener: Listener, data: Uint8Array, at: Nanos, stats: UdpSourceStats, next: (value: T) => void) => void;

function listenUdp<T, D>(options: UdpSourceOptions<D>, scheduler: SchedulerLike, handle: Handle<T>): Observable<T> {
  return new Observable<T>((subscriber) => {
    const stats = options.stats ?? createUdpStats();
    const clock = options.clock ?? wallClockNs;
    let closed = false;
    const emit = (value: T): void => subscriber.next(value);
    const queue = new DatagramQueue<Listener>(
      Math.max(1, options.maxQueuedDatagrams ?? 1024),
      deferOn(scheduler),
      stats,
      (listener, data, at) => {
        listener.stats.decoded++;
        handle(listener, data, at, stats, emit);
      },
      () => closed,
    );

    const onDatagram = (l: Listener, msg: Buffer): void => {
      if (closed) return;
      const at = clock();
      l.stats.datagrams++;
      l.stats.bytes += msg.byteLength;
      l.stats.lastDatagramAt = at;
      if (!withinRate(l, scheduler)) return;
      // No copy: Node allocates a fresh buffer per datagram.
      queue.push(l, new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), at);
    };

    const listeners = options.sensors.map((spec) => {
      const l = createListener(spec, options, stats, scheduler);
      l.socket.on("message", (msg) => onDatagram(l, msg));
      l.socket.on("error", (err) => {
        if (closed) return;
        closed = true;
        subscriber.error(new BadInputError({ where: `UDP ${spec.driver} on ${l.host}:${spec.port}`, what: err.message }));
      });
      bindListener(l, options, (err) => subscriber.error(err));
      return l;
    });

    return () => {
      closed = true;
      queue.cancel();
      for (const l of listeners) {
        try {
          l.socket.close();
        } catch {
          // already closed (bind failed)
        }
      }
    };
  });
}

/** Token bucket of the per-sensor rate limit: false (and counted) when the datagram is over it. */
function withinRate(l: Listener, scheduler: SchedulerLike): boolean {
  if (l.perMs === Infinity) return true;
  const now = scheduler.now();
  l.tokens = Math.min(l.capacity, l.tokens + (now - l.lastRefill) * l.perMs);
  l.lastRefill = now;
  if (l.tokens < 1) {
    l.stats.droppedRate++;
    return false;
  }
  l.tokens -= 1;
  return true;
}

/** A sensor's socket (not yet bound), stats (registered in `stats`), decoder and rate limit. */
function createListener<D>(
  spec: UdpSensorSpec<D>,
  options: UdpSourceOptions<D>,
  stats: UdpSourceStats,
  scheduler: SchedulerLike,
): Listener {
  const sensorId = spec.sensorId ?? `${spec.driver}_${spec.port}`;
  const topic = spec.topic ?? `udp:${spec.driver}:${spec.port}`;
  const host = spec.host ?? "0.0.0.0";
  const socket = dgram.createSocket({
    type: host.includes(":") ? "udp6" : "udp4",
    reuseAddr: spec.multicastGroup !== undefined,
    recvBufferSize: options.recvBufferBytes ?? 4 << 20,
  });
  const rate = spec.maxDatagramsPerSec ?? DEFAULT_MAX_DATAGRAMS_PER_SEC[spec.driver];
  const perMs = rate === Infinity ? Infinity : Math.max(0, rate) / 1000;
  const sensorStats: UdpSensorStats = {
    sensorId,
    driver: spec.driver,
    port: spec.port,
    datagrams: 0,
    bytes: 0,
    decoded: 0,
    frames: 0,
    malformed: 0,
    droppedRate: 0,
    droppedQueue: 0,
    lastDatagramAt: 0n,
  };
  stats.sensors.set(sensorId, sensorStats);
  const capacity = perMs === Infinity ? Infinity : Math.max(16, rate / 10);
  return {
    spec,
    sensorId,
    topic,
    host,
    decoder: options.createDecoder?.({ ...spec, sensorId, topic }),
    stats: sensorStats,
    socket,
    tokens: capacity,
    capacity,
    perMs,
    lastRefill: scheduler.now(),
  };
}

/** Binds the sensor's port (and joins its multicast group), then reports it through `onListening`. */
function bindListener<D>(l: Listener, options: UdpSourceOptions<D>, fail: (err: BadInputError) => void): void {
  const { spec, socket } = l;
  socket.bind(spec.port, l.host, () => {
    const address = socket.address();
    l.stats.port = address.port;
    if (spec.multicastGroup) {
      try {
        socket.addMembership(spec.multicastGroup);
      } catch (err) {
        fail(
          new BadInputError({
            where: `UDP ${spec.driver}`,
            what: `cannot join multicast group ${spec.multicastGroup}: ${(err as Error).message}`,
          }),
        );
        return;
      }
    }
    options.onListening?.({ ...spec, sensorId: l.sensorId, topic: l.topic }, address);
  });
}

/**
 * Parse `velodyne:2368,ars548:42102` (driver:port, or driver alone for its default port, or
 * driver:HOST:port to bind one address, or driver:GROUP:port to join a multicast group). Throws a one-line bad-input error naming the bad item.
 */
export function parseUdpListen(spec: string): UdpSensorSpec<never>[] {
  const out: UdpSensorSpec<never>[] = [];
  for (const item of spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(velodyne|ars548)(?::(?:(.+):)?(\d+))?$/.exec(item);
    const driver = m?.[1] as UdpDriver | undefined;
    const port = m?.[3] !== undefined ? Number(m[3]) : driver ? DEFAULT_UDP_PORTS[driver] : NaN;
    if (!m || !driver || !(port >= 0 && port <= 65535)) {
      throw new BadInputError({
        where: "--udp",
        what: `"${item}"`,
        expected: "DRIVER[:[HOST:]PORT] with DRIVER velodyne or ars548 and PORT 0..65535",
        code: "usage",
      });
    }
    const host = m[2]?.replace(/^\[(.*)\]$/, "$1");
    // A multicast address (224–239.x.x.x; the ARS548 sends to 224.0.2.2) is joined, not bound.
    if (host !== undefined && /^2(2[4-9]|3\d)\./.test(host)) out.push({ driver, port, host: "0.0.0.0", multicastGroup: host });
    else out.push({ driver, port, ...(host !== undefined ? { host } : {}) });
  }
  if (out.length === 0)
    throw new BadInputError({
      where: "--udp",
      what: `"${spec}" names no sensor`,
      expected: "e.g. velodyne:2368,ars548:42102",
      code: "usage",
    });
  return out;
}
