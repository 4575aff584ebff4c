import { Observable, type Subscriber } from "rxjs";
import { createUdpStats, udpSource, wallClockNs, type UdpSensorSpec, type UdpSourceOptions, type UdpSourceStats } from "../sources/bridge";
import { createVendorDatagramDecoder, type VendorDatagramOptions } from "../decode/vendor/rawPacketDecoders";
import type { CatalogueTopic } from "../pipeline";
import type { FrameTransform, Nanos } from "../types";
import type { BridgeCounters, BridgeTopicCounters, LiveInput, LiveInputEvent } from "./liveInputs";

/** A sensor mounting for a UDP sensor: position (m) and yaw (rad) in base_link. */
export type Mounting = { x: number; y: number; z: number; yawRad: number };

export type UdpInputOptions = Omit<UdpSourceOptions<VendorDatagramOptions>, "stats" | "clock" | "createDecoder"> & {
  stats?: UdpSourceStats;
  /** Mountings by sensor id, sent as a `/tf` transform (base_link ← sensor frame) before the sensor's first frame. */
  mountings?: ReadonlyMap<string, Mounting>;
  /** Frame of the mountings; default `base_link`. */
  baseFrame?: string;
};

/** A UDP sensor with its id, topic and frame id filled in (`<driver>_<port>`, `udp:<driver>:<port>`). */
type UdpSensor = UdpSensorSpec<VendorDatagramOptions> & { sensorId: string; topic: string };

function resolveUdpSensors(specs: readonly UdpSensorSpec<VendorDatagramOptions>[]): UdpSensor[] {
  return specs.map((s) => {
    const sensorId = s.sensorId ?? `${s.driver}_${s.port}`;
    return {
      ...s,
      sensorId,
      topic: s.topic ?? `udp:${s.driver}:${s.port}`,
      decoder: { ...s.decoder, frameId: s.decoder?.frameId ?? sensorId },
    };
  });
}

/** A mounting as the `/tf` transform `base ← frameId` (yaw about z), stamped `stamp`. */
export function mountingTransform(mount: Mounting, frameId: string, baseFrame: string, stamp: Nanos): FrameTransform {
  return {
    kind: "transform",
    topic: "/tf",
    stamp,
    parentFrameId: baseFrame,
    childFrameId: frameId,
    translation: { x: mount.x, y: mount.y, z: mount.z },
    rotation: { x: 0, y: 0, z: Math.sin(mount.yawRad / 2), w: Math.cos(mount.yawRad / 2) },
  };
}

/** The UDP sensors as catalogue topics, so the planner knows them before (or without) any datagram. */
function udpCatalogue(sensors: readonly UdpSensor[]): CatalogueTopic[] {
  return sensors.map((s) => ({
    topic: s.topic,
    sensor: s.driver === "ars548" ? "radar" : "lidar",
    sensorId: s.sensorId,
    supported: true,
    rateHz: null,
  }));
}

/**
 * The bridge counters from the UDP source's stats: datagrams received, dropped by the rate limit
 * or the queue, and malformed (counted by the datagram decoders), per sensor topic.
 */
function udpCounters(stats: UdpSourceStats, sensors: readonly UdpSensor[]): () => BridgeCounters {
  const topicOf = new Map(sensors.map((s) => [s.sensorId, s.topic]));
  return () => {
    const byTopic = new Map<string, BridgeTopicCounters>();
    let received = 0;
    let dropped = 0;
    let malformed = 0;
    for (const s of stats.sensors.values()) {
      const topic = topicOf.get(s.sensorId) ?? `udp:${s.driver}:${s.port}`;
      const d = s.droppedRate + s.droppedQueue;
      byTopic.set(topic, { received: s.datagrams, dropped: d, malformed: s.malformed });
      received += s.datagrams;
      dropped += d;
      malformed += s.malformed;
    }
    return { received, dropped, malformed, reconnects: 0, byTopic };
  };
}

/** Decoded frames from the sockets as frame events, each sensor's mounting (if given) just before its first frame. */
function udpFrameEvents(options: UdpInputOptions, sensors: UdpSensor[], stats: UdpSourceStats): Observable<LiveInputEvent> {
  return new Observable<LiveInputEvent>((subscriber: Subscriber<LiveInputEvent>) => {
    const mounted = new Set<string>();
    const baseFrame = options.baseFrame ?? "base_link";
    // The sensor's own frame (not the frame's: ARS548 objects may come in base_link).
    const frameOf = new Map(sensors.map((s) => [s.sensorId, s.decoder?.frameId ?? s.sensorId]));
    const source = udpSource({ ...options, sensors, stats, clock: wallClockNs, createDecoder: createVendorDatagramDecoder });
    const sub = source.subscribe({
      next: (frame) => {
        const arrival = frame.receivedAt;
        const mount = options.mountings?.get(frame.sensorId);
        if (mount && !mounted.has(frame.sensorId)) {
          mounted.add(frame.sensorId);
          subscriber.next({
            type: "frame",
            frame: mountingTransform(mount, frameOf.get(frame.sensorId)!, baseFrame, arrival),
            topic: "/tf",
            arrival,
          });
        }
        subscriber.next({ type: "frame", frame, topic: frame.topic, arrival });
      },
      error: (err: unknown) => subscriber.error(err),
    });
    if (!subscriber.closed)
      subscriber.next({
        type: "status",
        state: "listening",
        line: `listening for ${sensors.map((s) => s.sensorId).join(", ")}`,
        at: wallClockNs(),
      });
    return () => sub.unsubscribe();
  });
}

/**
 * UDP sensor drivers as a live input: `udpSource` (its sockets, per-sensor rate limits and bounded
 * queue) with the vendor datagram decoders, so Velodyne rotations and ARS548 lists come out as
 * decoded frames for the pipeline's typed frame entry, decoded by the same vendor decoders as a
 * packet recording on replay (malformed datagrams are counted per sensor in the bridge counters).
 * Stamps are arrival times (an ARS548 list at its datagram's arrival, a Velodyne rotation stamped
 * at its first packet's and received at its last's): the units' own clocks (Velodyne time past the
 * hour without PPS, an ARS548 without PTP, a replayed recording) are not wall-clock times, and two
 * sensors need not share one. Topics are `udp:<driver>:<port>`, sensor ids `<driver>_<port>`
 * unless given.
 */
export function udpInput(options: UdpInputOptions): LiveInput {
  const stats = options.stats ?? createUdpStats();
  const sensors = resolveUdpSensors(options.sensors);
  return {
    name: `udp ${sensors.map((s) => s.sensorId).join(", ")}`,
    events: udpFrameEvents(options, sensors, stats),
    clock: "wall",
    declared: udpCatalogue(sensors),
    counters: udpCounters(stats, sensors),
  };
}
