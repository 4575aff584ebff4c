import { candidateFeatures, HEAD_CLASSES, SLOT_FEATURES, SLOT_SIZE, TRACK_FEATURES, TRACK_SIZE } from "./features";
import { cam, candidate, lidar, radar } from "./testCandidates";

const slot = (f: Float32Array, i: number): number[] => Array.from(f.subarray(i * SLOT_SIZE, (i + 1) * SLOT_SIZE));
const at = (row: number[], name: string): number => row[SLOT_FEATURES.indexOf(name as (typeof SLOT_FEATURES)[number])]!;

describe("fusion head features", () => {
  it("has fixed sizes: 3 modality blocks of SLOT_SIZE and TRACK_SIZE track features", () => {
    expect(SLOT_SIZE).toBe(6 + HEAD_CLASSES.length + 1 + 4 + 2 + 3);
    expect(TRACK_SIZE).toBe(7 + HEAD_CLASSES.length + 1);
    const f = candidateFeatures(candidate([]));
    expect(f.slots.length).toBe(3 * SLOT_SIZE);
    expect(f.track.length).toBe(TRACK_SIZE);
    expect(Array.from(f.slots).every((v) => v === 0)).toBe(true); // no sensor: every block absent
  });

  it("encodes a detected camera, a missed LiDAR and an absent radar", () => {
    const f = candidateFeatures(candidate([cam("detected", 0.8), lidar("missed")]));
    const c = slot(f.slots, 0);
    expect(at(c, "present")).toBe(1);
    expect([at(c, "detected"), at(c, "missed"), at(c, "out_of_view")]).toEqual([1, 0, 0]);
    expect(at(c, "score")).toBeCloseTo(0.8, 6);
    expect(at(c, "quality")).toBeCloseTo(0.9, 6);
    expect(at(c, "p_car")).toBeCloseTo(0.6, 6);
    expect(at(c, "p_truck")).toBeCloseTo(0.2, 6);
    expect(at(c, "p_pedestrian")).toBe(0);
    expect(at(c, "p_no_opinion")).toBeCloseTo(0.2, 6);
    // detection (33, 8) vs track (30, 4): 5 m → 5/5
    expect(at(c, "residual_m/5 (detection vs track, capped at 10 m)")).toBeCloseTo(1, 6);
    expect(at(c, "detection_range_m/100")).toBeCloseTo(Math.hypot(33, 8) / 100, 6);
    expect([at(c, "is_camera"), at(c, "is_lidar"), at(c, "is_radar")]).toEqual([1, 0, 0]);
    expect(at(c, "ever_detected_track")).toBe(0); // sinceDetectedSec not given
    const l = slot(f.slots, 1);
    expect([at(l, "present"), at(l, "detected"), at(l, "missed"), at(l, "out_of_view"), at(l, "score"), at(l, "quality")]).toEqual([
      1, 0, 1, 0, 0, 1,
    ]);
    expect(at(l, "p_car")).toBe(0);
    expect([at(l, "is_camera"), at(l, "is_lidar"), at(l, "is_radar")]).toEqual([0, 1, 0]);
    expect(slot(f.slots, 2).every((v) => v === 0)).toBe(true);
  });

  it("carries the radar range rate, and track-level features", () => {
    const f = candidateFeatures(candidate([radar("detected", 0.5)], { isNew: true, hits: 1, ageSec: 0 }));
    const r = slot(f.slots, 2);
    expect(at(r, "has_range_rate")).toBe(1);
    expect(at(r, "range_rate_mps/30")).toBeCloseTo(-0.2, 6);
    expect(at(r, "p_no_opinion")).toBe(1);
    expect(at(r, "residual_m/5 (detection vs track, capped at 10 m)")).toBeCloseTo(0.1, 6);
    const t = Array.from(f.track);
    const tr = (name: string): number => t[TRACK_FEATURES.indexOf(name as (typeof TRACK_FEATURES)[number])]!;
    // this tick's log-odds change: logit(0.9) − logit(0.6) = ln 9 − ln 1.5
    expect(t[0]).toBeCloseTo((Math.log(9) - Math.log(1.5)) / 5, 6);
    expect(tr("is_new")).toBe(1);
    expect(tr("log1p(hits)/3")).toBeCloseTo(Math.log(2) / 3, 6);
    expect(tr("log1p(age_s)/3")).toBe(0);
    expect(tr("range_m/100")).toBeCloseTo(Math.hypot(30, 4) / 100, 6);
    expect(tr("|bearing|/pi")).toBeCloseTo(Math.atan2(4, 30) / Math.PI, 6);
    expect(tr("speed_over_ground_mps/30")).toBeCloseTo(5 / 30, 6);
    expect(tr("track_p_car")).toBeCloseTo(0.7, 6);
    expect(tr("track_p_truck")).toBeCloseTo(0.1, 6);
    expect(tr("sensors_detected/3")).toBeCloseTo(1 / 3, 6);
  });

  it("encodes how long ago each sensor last detected the track", () => {
    const f = candidateFeatures(
      candidate([
        { ...lidar("missed"), sinceDetectedSec: 0.5 },
        { ...radar("detected"), sinceDetectedSec: 0 },
      ]),
    );
    const l = slot(f.slots, 1);
    expect(at(l, "ever_detected_track")).toBe(1);
    expect(at(l, "log1p(s since its last detection of the track)/3")).toBeCloseTo(Math.log1p(0.5) / 3, 6);
    const r = slot(f.slots, 2);
    expect([at(r, "ever_detected_track"), at(r, "log1p(s since its last detection of the track)/3")]).toEqual([1, 0]);
  });

  it("takes the most informative of several sensors of one kind, and stays finite on broken numbers", () => {
    const second = cam("detected", 0.95, { sensorId: "camera_rear" });
    const f = candidateFeatures(candidate([cam("missed"), cam("outOfView", 0, { sensorId: "camera_left" }), second]));
    expect(at(slot(f.slots, 0), "score")).toBeCloseTo(0.95, 6);
    const broken = candidateFeatures(
      candidate([{ ...cam("detected", Number.NaN), quality: Number.POSITIVE_INFINITY }], {
        priorExistence: Number.NaN,
        velocity: { x: Number.NaN, y: 0, z: 0 },
        ageSec: -5,
      }),
    );
    expect([...broken.slots, ...broken.track].every(Number.isFinite)).toBe(true);
    expect(at(slot(broken.slots, 0), "quality")).toBe(0);
  });
});
