/**
 * Model cards and `--model KIND=NAME|PATH`: a user brings a tfjs camera detector by writing a card,
 * with no code change — here the shipped COCO detector's files copied into a folder of their own
 * with a card that names them beside it — and a card that is wrong, or a model that does not match
 * its card, is refused at start-up in one line naming the file and the field.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { installedPackageFile } from "../src/runtime/installedPackageFile";
import { resolveModelChoices } from "../src/runtime/modelChoices";
import { REPO_ROOT, SHARED_DATA } from "./bridgeHelpers";
import { cli } from "./runCli";

const MODELS = path.join(REPO_ROOT, "models");
const KITTI = path.join(SHARED_DATA, "real-frames/kitti");
const COCO_JSON = installedPackageFile("@vladmandic/human", "models/centernet.json");
const withKitti = fs.existsSync(path.join(KITTI, "training/velodyne/000008.bin")) && COCO_JSON ? it : it.skip;
if (!fs.existsSync(KITTI)) console.warn(`skipping the brought-detector run: ${KITTI} is absent`);

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "avfusion-cards-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("--model KIND=NAME|PATH", () => {
  it("NAME is a folder of the models folder, PATH any folder; a flag wins over the config; bad kinds and folders are one line", () => {
    expect(resolveModelChoices(["camera=camera-coco"], undefined, MODELS)).toEqual({ camera: path.join(MODELS, "camera-coco") });
    expect(resolveModelChoices([`lidar=${MODELS}/lidar`], { lidar: "radar" }, MODELS)).toEqual({ lidar: path.join(MODELS, "lidar") });
    expect(resolveModelChoices(undefined, { radar: "radar" }, MODELS)).toEqual({ radar: path.join(MODELS, "radar") });
    expect(() => resolveModelChoices(["sonar=x"], undefined, MODELS)).toThrow(
      '--model sonar=x: "sonar" is not a sensor kind, expected KIND=NAME|PATH with KIND one of camera, lidar, radar, audio',
    );
    expect(() => resolveModelChoices(["camera=nope"], undefined, MODELS)).toThrow(
      `--model camera=nope: no such folder ${MODELS}/nope, expected a model folder (with card.json for camera detectors)`,
    );
  });
});

describe("a camera detector brought by its card", () => {
  const card = JSON.parse(fs.readFileSync(path.join(MODELS, "camera-coco/card.json"), "utf8")) as Record<string, unknown>;

  function bring(name: string, edit: (c: Record<string, unknown>) => void): string {
    const d = path.join(dir, name);
    fs.mkdirSync(d, { recursive: true });
    fs.copyFileSync(COCO_JSON!, path.join(d, "detector.json"));
    fs.copyFileSync(installedPackageFile("@vladmandic/human", "models/centernet.bin")!, path.join(d, "detector.bin"));
    const c = structuredClone(card);
    c.name = "my-detector";
    c.files = { model: "detector.json", weights: "detector.bin" };
    edit(c);
    fs.writeFileSync(path.join(d, "card.json"), JSON.stringify(c));
    return d;
  }

  withKitti("runs in the pipeline from its own folder, and a wrong card or a model that is not what the card says is refused", async () => {
    const rec = path.join(dir, "kitti.mcap");
    expect((await cli("import", "kitti", KITTI, "-o", rec)).code).toBe(0);
    const good = bring("good", () => undefined);
    const ev = await cli("eval", rec, "--per-frame", "--json", "--pipelines", "camera", "--model", `camera=${good}`);
    expect(ev.code).toBe(0);
    expect(JSON.parse(ev.out).results[0].apByClass.pedestrian).toBeGreaterThan(0.5);

    const wrongTensor = bring("wrong-tensor", (c) => ((c.output as Record<string, unknown>).tensor = "tower_0/nothing"));
    const r1 = await cli("replay", rec, "--max", "--quiet", "--model", `camera=${wrongTensor}`);
    expect(r1.err).toContain(
      `${wrongTensor}/detector.json: format graph-model, input [1,512,512,3], output tower_0/nothing undefined, expected what its card says`,
    );
    const badField = bring("bad-field", (c) => ((c.input as Record<string, unknown>).range = [0, 7]));
    const r2 = await cli("replay", rec, "--max", "--quiet", "--model", `camera=${badField}`);
    expect(r2.err).toMatch(new RegExp(`${badField}/card.json: input\\.range\\.1: `));
  });
});
