import type { Nanos, SensorSyncCounters, SyncStatus } from "../types";

export * from "../types/scene";

/**
 * What the health monitor reads about one sensor at one tick. Built from the sync stage's
 * `SensorSync`, the encoder's `SensorEvidence` and the decoder's counters by `observeSensors`;
 * every field but `sensorId` and `status` is optional so that any subset of those works.
 */
export type SensorObservation = {
  sensorId: string;
  /** The sync stage's verdict for this tick. */
  status: SyncStatus;
  /** Tick minus the newest data's stamp (ns). */
  age?: Nanos;
  /** Included frame's skew (ns). */
  skew?: Nanos;
  /** The aligner's cumulative counters. */
  counters?: SensorSyncCounters;
  /** The encoder's quality for this tick's frame, 0..1. */
  quality?: number;
  /** The encoder's visibility estimate from this tick's frame (m), where it makes one. */
  visibilityM?: number;
  /** Content digest of the included frame (frozen-sensor detection); see frameDigest. */
  digest?: number;
  /** Cumulative decode counters of the sensor's topics. */
  decode?: { decoded: number; errors: number; lastReason?: string | undefined };
};
