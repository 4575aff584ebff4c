import { msToNs, secToNs, type Nanos } from "../types";
import type { Prng } from "./Prng";
import type { FaultSpec, SensorName } from "./scenario";

export type Delivery = {
  /** False inside a dropout window: the message is never recorded. */
  deliver: boolean;
  /** Header stamp on the sensor clock: true time + clock offset + jitter. */
  stamp: Nanos;
  /** When the recorder got it: true time + latency (+ hold-back for out-of-order); never before the true time. */
  logTime: Nanos;
  /** Camera only: repeat the last delivered frame's pixels instead of the current image. */
  frozen: boolean;
};

function within(f: { fromS: number; toS?: number | undefined }, t: number): boolean {
  return t >= f.fromS && (f.toS === undefined || t < f.toS);
}

/**
 * Applies a scenario's per-sensor fault schedule to each message: whether it is delivered,
 * its header stamp and its log time. Each sensor draws from its own random stream.
 */
export class FaultInjector {
  private readonly bySensor = new Map<SensorName, FaultSpec[]>();
  private readonly rngs = new Map<SensorName, Prng>();

  constructor(
    faults: readonly FaultSpec[],
    rng: Prng,
    private readonly startNs: Nanos,
  ) {
    for (const s of ["camera", "lidar", "radar", "audio"] as const) {
      this.bySensor.set(
        s,
        faults.filter((f) => f.sensor === s),
      );
      this.rngs.set(s, rng.fork(`faults:${s}`));
    }
  }

  plan(sensor: SensorName, tSec: number): Delivery {
    const faults = this.bySensor.get(sensor)!;
    const rng = this.rngs.get(sensor)!;
    const trueNs = this.startNs + secToNs(tSec);
    let stamp = trueNs;
    let log = trueNs;
    let deliver = true;
    let frozen = false;
    for (const f of faults) {
      switch (f.type) {
        case "dropout":
          if (within(f, tSec)) deliver = false;
          break;
        case "frozen":
          if (within(f, tSec)) frozen = true;
          break;
        case "clockOffset":
          stamp += msToNs(f.offsetMs);
          break;
        case "jitter":
          if (within(f, tSec)) stamp += msToNs(rng.normal(0, f.stdMs));
          break;
        case "latency":
          if (within(f, tSec)) log += msToNs(Math.max(0, f.meanMs + rng.normal(0, f.stdMs)));
          break;
        case "outOfOrder":
          if (within(f, tSec) && rng.chance(f.probability)) log += msToNs(f.delayMs);
          break;
        case "sectorOcclusion":
          break;
      }
    }
    return { deliver, stamp, logTime: log, frozen };
  }

  /** LiDAR sectors blocked at time t, as [from, to] radians. */
  occludedSectors(tSec: number): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (const f of this.bySensor.get("lidar")!) {
      if (f.type === "sectorOcclusion" && within(f, tSec)) out.push([(f.azimuthFromDeg * Math.PI) / 180, (f.azimuthToDeg * Math.PI) / 180]);
    }
    return out;
  }
}
