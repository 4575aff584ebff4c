import type {
  CameraFrame,
  EgoMotion,
  EvidenceBundle,
  EvidenceSyncInfo,
  SensorEvidence,
  SensorFrame,
  SensorKind,
  SyncedBundle,
} from "../types";
import { decodeCameraFrame } from "./camera/decodeImage";
import type { SensorEncoders } from "./sensorEncoders";

/** Per-tick result of the encoder stage: the evidence, and what went wrong per sensor. */
export type EncodedTick = {
  synced: SyncedBundle;
  evidence: EvidenceBundle;
  /** Wall time spent decompressing and encoding this tick's frames (ms). */
  encodeMs: number;
  /** Sensor id → one-line reason its included frame gave no evidence (bad frame, no encoder). */
  failures: Map<string, string>;
};

/**
 * The encoder stage for one tick: every included frame through its modality's encoder. Camera
 * frames are decompressed (sharp, asynchronous, on its own threads) while the other frames are
 * encoded, and encoded last; the evidence keeps the bundle's order. A frame an encoder rejects is reported in
 * `failures` and leaves that sensor without evidence this tick — never fatal to the stream.
 * Ego motion comes from the radar's reported ego speed (no yaw rate: treated as straight).
 */
export function createBundleEncoder(encoders: SensorEncoders, sensorKinds: ReadonlyMap<string, SensorKind>) {
  const known = new Map(sensorKinds);
  return async (synced: SyncedBundle): Promise<EncodedTick> => {
    let encodeMs = 0; // decode + encode only: a model's one-off load on a sensor's first frame is left out
    const failures = new Map<string, string>();
    let ego: EgoMotion | undefined;
    const included: SensorFrame[] = [];
    for (const s of synced.sensors) {
      const frame: SensorFrame | undefined = s.frame;
      if (s.status !== "included" || frame === undefined) continue;
      known.set(s.sensorId, frame.kind);
      if (frame.kind === "radar" && frame.egoSpeedMps !== undefined && Number.isFinite(frame.egoSpeedMps)) {
        ego = { speedMps: frame.egoSpeedMps, yawRateRadps: 0 };
      }
      included.push(frame);
    }
    // Camera frames start decompressing first: sharp decodes on its own threads while this thread
    // encodes the other frames; cameras are encoded last. Evidence keeps the bundle's order.
    const started = performance.now();
    let loadingMs = 0;
    const images = new Map<SensorFrame, Promise<CameraFrame>>();
    for (const f of included) {
      if (f.kind !== "camera") continue;
      // Only once the sensor's encoder exists: a disabled or broken camera decodes nothing.
      const p = encoders.forFrame(f).then(() => decodeCameraFrame(f));
      p.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
      images.set(f, p);
    }
    const slots: Array<SensorEvidence | undefined> = new Array(included.length);
    const order = [...included.keys()].sort((a, b) => Number(included[a]!.kind === "camera") - Number(included[b]!.kind === "camera"));
    for (const i of order) {
      const frame = included[i]!;
      try {
        const l0 = performance.now();
        let encoder: Awaited<ReturnType<SensorEncoders["forFrame"]>>;
        try {
          encoder = await encoders.forFrame(frame);
        } finally {
          loadingMs += performance.now() - l0;
        }
        const image = images.get(frame);
        slots[i] = encoder.encode(image ? await image : frame);
      } catch (err) {
        failures.set(frame.sensorId, (err instanceof Error ? err.message : String(err)).split("\n")[0]!);
      }
    }
    encodeMs = performance.now() - started - loadingMs;
    const evidence = slots.filter((e): e is SensorEvidence => e !== undefined);
    const sync: EvidenceSyncInfo[] = synced.sensors.map((s) => ({
      sensorId: s.sensorId,
      // Every aligned sensor comes from the plan, so its kind is known; "radar" only guards the type.
      kind: known.get(s.sensorId) ?? "radar",
      status: s.status,
      skew: s.skew ?? 0n,
    }));
    const bundle: EvidenceBundle = { stamp: synced.tick, tick: synced.seq, evidence, sync, ...(ego ? { ego } : {}) };
    return { synced, evidence: bundle, encodeMs, failures };
  };
}
