import * as tf from "@tensorflow/tfjs";
import { memoryModelFiles, saveModel } from "../../runtime/modelFiles";
import { BadInputError } from "../../types/errors";
import { SLOT_FEATURES, TRACK_FEATURES, HEAD_MODALITIES } from "./features";
import {
  buildFusionModel,
  createLearnedFusionHead,
  FUSION_MODEL_VERSION,
  loadFusionHead,
  OUT_CLASSES,
  type FusionHeadMetadata,
} from "./model";
import { selectFusionHead } from "./selectHead";
import { cam, candidate, lidar, radar } from "./testCandidates";
import { selectBackend } from "../../runtime/selectBackend";

beforeAll(async () => {
  await selectBackend({ backend: "wasm", log: () => undefined });
});

const metadata = (over: Partial<FusionHeadMetadata["output"]> = {}): FusionHeadMetadata => ({
  kind: "fusion",
  modelVersion: FUSION_MODEL_VERSION,
  input: { modalities: [...HEAD_MODALITIES], slotFeatures: [...SLOT_FEATURES], trackFeatures: [...TRACK_FEATURES] },
  output: { classes: [...OUT_CLASSES], refineClass: true, refinePosition: true, positionVarianceM2: 0.25, baseRate: 0.5, ...over },
});

const candidates = [
  candidate([cam("detected", 0.8), lidar("detected", 0.6), radar("missed")]),
  candidate([radar("detected", 0.4)], { trackId: 2, isNew: true, hits: 1, ageSec: 0, priorExistence: 0.1, modelExistence: 0.3 }),
  candidate([cam("missed"), lidar("outOfView")], { trackId: 3, tickPosition: { x: 12, y: -3, z: 0 } }),
];

describe("learned fusion head", () => {
  it("gives one refinement per candidate: existence, class probabilities summing to 1, a position near the track", () => {
    const model = buildFusionModel(7);
    const head = createLearnedFusionHead(model, metadata());
    const out = head.refine(0n, candidates);
    expect(out).toHaveLength(3);
    for (const [i, r] of out.entries()) {
      expect(r!.existence).toBeGreaterThan(0);
      expect(r!.existence).toBeLessThan(1);
      const sum = Object.values(r!.classProbabilities!).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 5);
      expect(Object.keys(r!.classProbabilities!)).toEqual([...OUT_CLASSES]);
      expect(r!.position!.varianceM2).toBe(0.25);
      expect(Math.hypot(r!.position!.x - candidates[i]!.tickPosition.x, r!.position!.y - candidates[i]!.tickPosition.y)).toBeLessThan(20);
    }
    // existence: the prior updated by this tick's likelihood ratio, logit(e) = logit(prior) + logit(q) − logit(π)
    const q = head.predict(candidates).map((p) => p.existence);
    const logit = (p: number): number => Math.log(p / (1 - p));
    candidates.forEach((c, i) =>
      expect(out[i]!.existence).toBeCloseTo(1 / (1 + Math.exp(-(logit(c.priorExistence) + logit(q[i]!) - logit(0.5)))), 6),
    );
    expect(head.refine(0n, [])).toEqual([]);
    const plain = createLearnedFusionHead(model, metadata({ refineClass: false, refinePosition: false })).refine(0n, candidates);
    expect(plain[0]).toEqual({ existence: out[0]!.existence });
    head.dispose();
  });

  it("is reproducible from the seed", () => {
    const a = buildFusionModel(11);
    const b = buildFusionModel(11);
    const c = buildFusionModel(12);
    const wa = a.getWeights().map((w) => Array.from(w.dataSync()));
    expect(b.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(wa);
    expect(c.getWeights().map((w) => Array.from(w.dataSync()))).not.toEqual(wa);
    [a, b, c].forEach((m) => m.dispose());
  });

  it("saves and loads to identical outputs", async () => {
    const files = memoryModelFiles();
    const model = buildFusionModel(3);
    const before = createLearnedFusionHead(model, metadata()).refine(0n, candidates);
    await saveModel(model, metadata(), files, "models/fusion");
    const loaded = await loadFusionHead(files, "models");
    expect(loaded.refine(0n, candidates)).toEqual(before);
    const bytes = files.entries.get("models/fusion/weights.bin")!.byteLength;
    expect(bytes).toBeLessThan(64 * 1024); // small weights
    loaded.dispose();
    model.dispose();
  });

  it("leaks no tensors over 100 refine calls", async () => {
    const head = createLearnedFusionHead(buildFusionModel(5), metadata());
    head.refine(0n, candidates); // warm-up
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) head.refine(BigInt(i), candidates.slice(0, 1 + (i % 3)));
    expect(tf.memory().numTensors).toBe(before);
    head.dispose();
  });

  it("rejects metadata that does not match this build's features, with one line", async () => {
    const files = memoryModelFiles();
    const model = buildFusionModel(3);
    const bad = metadata();
    bad.input.slotFeatures = bad.input.slotFeatures.slice(1);
    await saveModel(model, bad, files, "m/fusion");
    await expect(loadFusionHead(files, "m")).rejects.toThrow(
      /^fusion head m\/fusion: metadata.input does not match this build's feature vector \(23 per modality, 15 per track\); retrain with avfusion train --fusion$/,
    );
    await expect(loadFusionHead(files, "nowhere")).rejects.toBeInstanceOf(BadInputError);
    model.dispose();
  });

  it("selects learned when the model exists, none when it does not, and naive on request", async () => {
    const files = memoryModelFiles();
    expect((await selectFusionHead(files, "models")).choice).toBe("none");
    await expect(selectFusionHead(files, "models", "learned")).rejects.toThrow(/model file models\/fusion\/model.json: not found/);
    const naive = await selectFusionHead(files, "models", "naive");
    expect(naive.line).toMatch(/^fusion head: naive/);
    const model = buildFusionModel(3);
    await saveModel(model, metadata({ refinePosition: false }), files, "models/fusion");
    model.dispose();
    const learned = await selectFusionHead(files, "models/");
    expect(learned.choice).toBe("learned");
    expect(learned.line).toBe(`fusion head: learned ${FUSION_MODEL_VERSION} from models/fusion (existence, class)`);
    learned.dispose();
  });
});
