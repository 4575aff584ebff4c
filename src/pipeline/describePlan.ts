import type { PipelinePlan } from "./types";

/**
 * The plan as one start-up line: each sensor with its kind (and measured rate, live) and topics,
 * then each topic left out and why, e.g.
 * `plan cam_front (camera: /a), lidar_top (lidar: /b); not used: /x (unsupported schema foo/Bar), /y (ignored by the topic mapping)`.
 * A ROS 2 rig whose radar schema is refused says so here, at start, not by a sensor that never shows.
 */
export function describePlan(plan: Pick<PipelinePlan, "sensors" | "unused">, options: { rates?: boolean } = {}): string {
  const rate = (hz: number | null): string => (options.rates === true && hz !== null ? ` ${hz.toFixed(1)} Hz` : "");
  const sensors = plan.sensors.map((s) => `${s.sensorId} (${s.kind}${rate(s.rateHz)}: ${s.topics.join(", ")})`).join(", ");
  const unused = plan.unused.length === 0 ? "" : `; not used: ${plan.unused.map((u) => `${u.topic} (${u.reason})`).join(", ")}`;
  return `plan ${sensors}${unused}`;
}
