import * as fs from "node:fs";
import * as path from "node:path";
import { Subject } from "rxjs";
import { secToNs, type Nanos } from "../types/time";
import { approximateTimeSync, type ApproximateTimeSyncOptions, type ApproximateTimeSyncStats } from "./approximateTimeSync";

/** ros2/message_filters test vectors (see ../shared/data/peer-vectors/README.md). */
const VECTORS = path.resolve(__dirname, "../../../shared/data/peer-vectors/message_filters_approximate_time.json");

type Arrival = { topic: number; stamp_s: number };
type PeerCase = {
  name: string;
  policy: "approximate" | "approximate_epsilon" | "exact" | "approximate_python_slop";
  topics: number;
  queue_size: number;
  max_interval_s: number | null;
  age_penalty: number | null;
  inter_message_lower_bounds_s: number[] | null;
  epsilon_s: number | null;
  slop_s?: number;
  arrivals: Arrival[];
  expected: number[][];
  stamps_ns?: number[];
  expected_callback_count_after_each_arrival?: number[];
  expected_drop_count_after_each_arrival?: number[];
  expected_emitted_after_arrival_index?: number[];
  expected_is_set?: boolean;
};

type Tiny = { sensorId: string; stamp: Nanos; arrival: number };

const present = fs.existsSync(VECTORS);
const cases: PeerCase[] = present ? (JSON.parse(fs.readFileSync(VECTORS, "utf8")) as { cases: PeerCase[] }).cases : [];

function optionsFor(c: PeerCase): ApproximateTimeSyncOptions {
  const sensors = Array.from({ length: c.topics }, (_, i) => `t${i}`);
  const base = { sensors, queueSize: c.queue_size };
  switch (c.policy) {
    case "approximate":
      return {
        ...base,
        policy: "approximate",
        agePenalty: c.age_penalty ?? 0.1,
        ...(c.max_interval_s === null ? {} : { maxIntervalMs: c.max_interval_s * 1000 }),
        ...(c.inter_message_lower_bounds_s === null
          ? {}
          : { interMessageLowerBoundsMs: c.inter_message_lower_bounds_s.map((s) => s * 1000) }),
      };
    case "approximate_epsilon":
      return { ...base, policy: "epsilon", epsilonMs: c.epsilon_s! * 1000 };
    case "exact":
      return { ...base, policy: "exact" };
    case "approximate_python_slop":
      return { ...base, policy: "slop", slopMs: c.slop_s! * 1000 };
  }
}

/** Feeds the arrivals through the operator; returns the emitted sets and what was seen after each arrival. */
function run(c: PeerCase) {
  const input = new Subject<Tiny>();
  const stats: ApproximateTimeSyncStats = { unknownSensor: 0, queueDrops: 0, published: 0 };
  const sets: Tiny[][] = [];
  const countsAfter: number[] = [];
  const dropsAfter: number[] = [];
  input.pipe(approximateTimeSync<Tiny>(optionsFor(c), stats)).subscribe((s) => sets.push(s));
  c.arrivals.forEach((a, k) => {
    const stamp = c.stamps_ns ? BigInt(c.stamps_ns[k]!) : secToNs(a.stamp_s);
    input.next({ sensorId: `t${a.topic}`, stamp, arrival: k });
    countsAfter.push(sets.length);
    dropsAfter.push(stats.queueDrops);
  });
  input.complete();
  return { sets, countsAfter, dropsAfter, stats };
}

const toStamps = (sets: Tiny[][]): Nanos[][] => sets.map((s) => s.map((f) => f.stamp));
const expectedStamps = (c: PeerCase): Nanos[][] =>
  c.expected.map((tuple) => tuple.map((s) => (c.stamps_ns && s === 0.1 ? 100_000_000n : secToNs(s))));

(present ? describe : describe.skip)("message_filters peer vectors", () => {
  it("has all 29 cases", () => {
    expect(cases).toHaveLength(29);
  });

  it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const { sets, countsAfter, dropsAfter, stats } = run(c);
    if (c.expected_is_set) {
      const key = (t: Nanos[]) => t.join(",");
      expect(toStamps(sets).map(key).sort()).toEqual(expectedStamps(c).map(key).sort());
    } else {
      expect(toStamps(sets)).toEqual(expectedStamps(c));
    }
    // Every message is used at most once.
    const used = sets.flat().map((f) => f.arrival);
    expect(new Set(used).size).toBe(used.length);
    expect(stats.published).toBe(sets.length);
    if (c.expected_callback_count_after_each_arrival) {
      expect(countsAfter).toEqual(c.expected_callback_count_after_each_arrival);
    }
    if (c.expected_drop_count_after_each_arrival) {
      expect(dropsAfter).toEqual(c.expected_drop_count_after_each_arrival);
    }
    if (c.expected_emitted_after_arrival_index) {
      // Set k must be emitted by arrival expected_emitted_after_arrival_index[k], not before.
      c.expected_emitted_after_arrival_index.forEach((arrivalIndex, k) => {
        expect(countsAfter[arrivalIndex]).toBeGreaterThanOrEqual(k + 1);
        if (arrivalIndex > 0) expect(countsAfter[arrivalIndex - 1]).toBe(k);
      });
    }
  });
});

if (!present) {
  console.warn(`peer vectors skipped: ${VECTORS} not found (shared data is not checked out)`);
}
