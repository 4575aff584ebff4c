/*
 * Radar encoder position accuracy on the held-out named scenarios: per matched track, the distance
 * from the encoder's ego-frame position to the true box centre, with and without the line-of-sight
 * centre offset. Run: node --require ./bench/register.js bench/encodersRadarPosition.ts
 */
import { nodeModelFiles } from "../src/cli/train";
import { loadRadarEncoder } from "../src/encoders/radar/encoder";
import { radarClassOf } from "../src/train/radar/radarDataset";
import { simulateRadarFrames } from "../src/train/simStreams";
import { selectBackend } from "../src/runtime/selectBackend";
import { loadScenario } from "../src/sim/loadScenario";
import { RADAR_MOUNT } from "../src/sim/rig";

async function main(): Promise<void> {
  await selectBackend({ backend: "cpu", log: () => undefined });
  for (const centreOffset of [false, true]) {
    const enc = await loadRadarEncoder({
      files: nodeModelFiles(),
      modelDir: "models/radar",
      extrinsics: { translation: RADAR_MOUNT, rotation: { x: 0, y: 0, z: 0, w: 1 } },
      centreOffset,
      minScore: 0.5,
    });
    const errs: Record<string, number[]> = {};
    for (const name of ["highway-clear", "urban-crossing"]) {
      for (const s of simulateRadarFrames(loadScenario(name))) {
        const ev = enc.encode(s.frame);
        for (const d of ev.detections) {
          let best = Infinity;
          let cls = "";
          for (const b of s.snapshot.bodies) {
            const e = Math.hypot(d.position.x - (b.x - s.snapshot.ego.x), d.position.y - (b.y - s.snapshot.ego.y));
            if (e < best) {
              best = e;
              cls = radarClassOf(b.body.classification);
            }
          }
          if (best < 5) (errs[cls] ??= []).push(best);
        }
      }
    }
    enc.dispose();
    const line = Object.entries(errs)
      .map(([c, e]) => {
        e.sort((a, b) => a - b);
        return `${c}: n=${e.length} median ${e[e.length >> 1]!.toFixed(2)} m p90 ${e[Math.floor(e.length * 0.9)]!.toFixed(2)} m`;
      })
      .join("; ");
    console.log(`centreOffset=${centreOffset}: ${line}`);
  }
}

void main();
