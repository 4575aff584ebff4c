import * as path from "path";
import { lastValueFrom, toArray } from "rxjs";
import { VENDOR_CLASSIFY } from "../src/decode/vendorDecoders";
import { createPipeline, planPipeline } from "../src/pipeline";
import { FileReadable } from "../src/sources/mcap/FileReadable";
import { inspectRecording } from "../src/sources/mcap/inspectRecording";
import type { SyncedBundle } from "../src/types";

const DEFAULT = path.resolve(__dirname, "../recordings/default.mcap");

async function replay(topics?: (all: string[]) => string[]): Promise<{ bundles: SyncedBundle[]; sensors: string[] }> {
  const source = await FileReadable.open(DEFAULT);
  try {
    const inspection = await inspectRecording(source, { classify: VENDOR_CLASSIFY });
    const plan = planPipeline(inspection);
    const all = inspection.topics.map((t) => t.topic);
    const run = createPipeline(source, plan, { read: { topics: topics ? topics(all) : undefined } });
    const bundles = await lastValueFrom(run.bundles.pipe(toArray()));
    return { bundles, sensors: plan.sensors.map((s) => s.kind) };
  } finally {
    await source.close();
  }
}

describe("pipeline on the default recording", () => {
  it("finds all four modalities and includes every sensor in every tick, in tick order", async () => {
    const { bundles, sensors } = await replay();
    expect(sensors.sort()).toEqual(["audio", "camera", "lidar", "radar"]);
    expect(bundles.length).toBeGreaterThan(20);
    for (let i = 1; i < bundles.length; i++) expect(bundles[i].tick > bundles[i - 1].tick).toBe(true);
    // A LiDAR sweep or audio chunk counts for the tick nearest its end, a period after its stamp, so
    // the first tick (at the recording's start) has neither; the last tick may be flushed at end of
    // input before every sensor's frame is in. All others are complete.
    const kindOf = (id: string): string =>
      /lidar/.test(id) ? "lidar" : /mic|audio/.test(id) ? "audio" : /cam/.test(id) ? "camera" : "radar";
    expect(
      bundles[0]!.sensors
        .filter((s) => s.status === "included")
        .map((s) => kindOf(s.sensorId))
        .sort(),
    ).toEqual(["camera", "radar"]);
    for (const b of bundles.slice(1, -1)) {
      expect(b.sensors.map((s) => s.status)).toEqual(["included", "included", "included", "included"]);
    }
  });

  it("keeps ticking with a sensor marked missing when its topic is gone", async () => {
    const full = await replay();
    const { bundles } = await replay((all) => all.filter((t) => !/lidar/i.test(t)));
    expect(bundles.length).toBe(full.bundles.length);
    for (const b of bundles) {
      const lidar = b.sensors.find((s) => /lidar/.test(s.sensorId))!;
      expect(lidar.status).toBe("missing");
      expect(b.sensors.filter((s) => s.status === "included").length).toBeGreaterThanOrEqual(
        b === bundles.at(-1) ? 0 : b === bundles[0] ? 2 : 3,
      );
    }
  });

  it("gives the same bundles on a second lossless replay", async () => {
    const strip = (bs: SyncedBundle[]) => bs.map((b) => [b.tick, b.sensors.map((s) => [s.sensorId, s.status, s.skew, s.frame?.stamp])]);
    expect(strip((await replay()).bundles)).toEqual(strip((await replay()).bundles));
  });
});
