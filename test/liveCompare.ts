import type { SceneJson } from "../src/sinks/sceneJson";

export type SceneComparison = {
  /** Live ticks inside the recording's tick range. */
  liveTicks: number;
  /** Of those, ticks whose stamp is one of replay's tick stamps. */
  onReplayGrid: number;
  /** Largest |live stamp − nearest replay stamp| (ms). */
  maxStampErrorMs: number;
  /** Ticks compared (live ticks with a replay tick of the same stamp). */
  compared: number;
  /** Ticks whose confirmed objects (existence ≥ minExistence) pair up one to one within the position tolerance. */
  objectsAgree: number;
  /** Ticks where every confirmed replay object has a live object within the tolerance. */
  replayObjectsFound: number;
  /** Replay objects (confirmed) with a live object within the tolerance, over all compared ticks. */
  objectsMatched: number;
  objectsReplay: number;
  /** Ticks whose set of sensors reported OK is the same. */
  sensorsOkAgree: number;
};

/** Greedy nearest-pair matching of two object lists within `tolM` (m, ground plane). */
function matchCount(a: SceneJson["objects"], b: SceneJson["objects"], tolM: number): number {
  const used = new Set<number>();
  let n = 0;
  const pairs: { i: number; j: number; d: number }[] = [];
  a.forEach((o, i) => b.forEach((p, j) => pairs.push({ i, j, d: Math.hypot(o.position.x - p.position.x, o.position.y - p.position.y) })));
  pairs.sort((x, y) => x.d - y.d);
  const usedA = new Set<number>();
  for (const p of pairs) {
    if (p.d > tolM) break;
    if (usedA.has(p.i) || used.has(p.j)) continue;
    usedA.add(p.i);
    used.add(p.j);
    n++;
  }
  return n;
}

/** Compares live scene states with replay's of the same recording, tick by tick. */
export function compareScenes(
  replay: readonly SceneJson[],
  live: readonly SceneJson[],
  opts: { posTolM: number; minExistence?: number },
): SceneComparison {
  const minE = opts.minExistence ?? 0.5;
  const byStamp = new Map(replay.map((s) => [s.stamp, s]));
  const stamps = replay.map((s) => BigInt(s.stamp));
  const first = stamps[0]!;
  const last = stamps[stamps.length - 1]!;
  const out: SceneComparison = {
    liveTicks: 0,
    onReplayGrid: 0,
    maxStampErrorMs: 0,
    compared: 0,
    objectsAgree: 0,
    replayObjectsFound: 0,
    objectsMatched: 0,
    objectsReplay: 0,
    sensorsOkAgree: 0,
  };
  for (const l of live) {
    const t = BigInt(l.stamp);
    if (t < first || t > last) continue;
    out.liveTicks++;
    let best = Infinity;
    for (const s of stamps) best = Math.min(best, Math.abs(Number(s - t)) / 1e6);
    out.maxStampErrorMs = Math.max(out.maxStampErrorMs, best);
    const r = byStamp.get(l.stamp);
    if (!r) continue;
    out.onReplayGrid++;
    out.compared++;
    const ro = r.objects.filter((o) => o.existence >= minE);
    const lo = l.objects.filter((o) => o.existence >= minE);
    const m = matchCount(ro, lo, opts.posTolM);
    out.objectsMatched += m;
    out.objectsReplay += ro.length;
    if (m === ro.length && m === lo.length) out.objectsAgree++;
    if (m === ro.length) out.replayObjectsFound++;
    const ok = (s: SceneJson) =>
      s.health.sensors
        .filter((x) => x.status === "OK")
        .map((x) => x.sensorId)
        .sort()
        .join(",");
    if (ok(r) === ok(l)) out.sensorsOkAgree++;
  }
  return out;
}
