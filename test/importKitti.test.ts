/**
 * `avfusion import kitti` on the real KITTI frames in ../shared/data/real-frames/kitti (skipped with
 * a message when absent), read back through the project's own reader and decoder: the geometry is
 * checked independently of the importer's own code path by projecting each ground-truth box centre
 * through the written transform and P2 into the image, where it must land inside the label's own
 * 2D box; the points are the sweep's floats; `replay` and `eval` read the file.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createDecoder } from "../src/decode/createDecoder";
import type { CameraCalibration, DecodedMessage, FrameTransform, GroundTruthFrame, PointCloudFrame, Vec3 } from "../src/types";
import { parseLabels } from "../src/importers/kitti/kittiFiles";
import { readAllMessages } from "./readAllMessages";
import { SHARED_DATA } from "./bridgeHelpers";
import { cli } from "./runCli";

const KITTI = path.join(SHARED_DATA, "real-frames/kitti");
const SPLIT = path.join(KITTI, "training");
const present = fs.existsSync(path.join(SPLIT, "velodyne/000008.bin"));
if (!present) console.warn(`skipping the KITTI import on real frames: ${SPLIT} is absent`);
const withKitti = present ? it : it.skip;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "avfusion-kitti-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function decoded(file: string): Promise<DecodedMessage[]> {
  const d = createDecoder();
  const out: DecodedMessage[] = [];
  for (const m of await readAllMessages(file)) {
    const r = d.decode(m);
    if ("error" in r) throw new Error(r.error);
    if ("messages" in r) out.push(...r.messages);
  }
  return out;
}

/** p in the parent frame → the child frame of `t` (parent ← child): R⁻¹ (p − t). */
function intoChild(t: FrameTransform, p: Vec3): Vec3 {
  const { x, y, z, w } = t.rotation;
  const d = { x: p.x - t.translation.x, y: p.y - t.translation.y, z: p.z - t.translation.z };
  // Rotate d by the conjugate quaternion.
  const [qx, qy, qz] = [-x, -y, -z];
  const ix = w * d.x + qy * d.z - qz * d.y;
  const iy = w * d.y + qz * d.x - qx * d.z;
  const iz = w * d.z + qx * d.y - qy * d.x;
  const iw = -qx * d.x - qy * d.y - qz * d.z;
  return {
    x: ix * w + iw * -qx + iy * -qz - iz * -qy,
    y: iy * w + iw * -qy + iz * -qx - ix * -qz,
    z: iz * w + iw * -qz + ix * -qy - iy * -qx,
  };
}

describe("avfusion import kitti", () => {
  withKitti("writes camera, sweep, calibration, transforms and ground truth that project back onto the labels' boxes", async () => {
    const out = path.join(dir, "kitti.mcap");
    const r = await cli("import", "kitti", KITTI, "-o", out, "--repeat", "3");
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(`wrote ${out}: 2 KITTI frame(s) (000000, 000008) × 3 at 10 Hz, 30 messages, 7 labelled objects`);
    const frames = await decoded(out);
    const gt = frames.filter((f): f is GroundTruthFrame => f.kind === "groundTruth");
    const clouds = frames.filter((f): f is PointCloudFrame => f.kind === "lidar");
    const cals = frames.filter((f): f is CameraCalibration => f.kind === "cameraCalibration");
    const tfs = frames.filter((f): f is FrameTransform => f.kind === "transform");
    expect([gt.length, clouds.length, cals.length]).toEqual([6, 6, 6]);
    expect(frames.filter((f) => f.kind === "camera")).toHaveLength(6);
    // Frame 000008 is the fourth emitted (000000 × 3 first): 6 cars, its 17,238 points exactly.
    const g8 = gt[3]!;
    expect(g8.objects.map((o) => o.classification)).toEqual(["car", "car", "car", "car", "car", "car"]);
    expect(g8.objects.every((o) => Object.keys(o.visibility).length === 0)).toBe(true);
    const bin = new Float32Array(new Uint8Array(fs.readFileSync(path.join(SPLIT, "velodyne/000008.bin"))).buffer);
    expect(clouds[3]!.count).toBe(17238);
    expect(Array.from(clouds[3]!.points.subarray(0, 3))).toEqual(Array.from(bin.subarray(0, 3)));
    expect(clouds[3]!.points[3]).toBeCloseTo(bin[3]! * 255, 3);
    expect([cals[3]!.width, cals[3]!.height]).toEqual([1242, 375]);
    expect([cals[0]!.width, cals[0]!.height]).toEqual([1224, 370]);
    // The Velodyne 1.73 m above base_link; base_link → camera_2 then P2 puts every box centre inside its label's 2D box.
    const velo = tfs.find((t) => t.childFrameId === "velodyne")!;
    expect(velo.translation).toEqual({ x: 0, y: 0, z: 1.73 });
    const cam = tfs.filter((t) => t.childFrameId === "camera_2")[3]!;
    const labels = parseLabels(fs.readFileSync(path.join(SPLIT, "label_2/000008.txt"), "utf8"), "000008").filter((l) => l.type === "Car");
    const P = cals[3]!.P;
    g8.objects.forEach((o, i) => {
      const c = intoChild(cam, o.position);
      const u = (P[0]! * c.x + P[1]! * c.y + P[2]! * c.z + P[3]!) / (P[8]! * c.x + P[9]! * c.y + P[10]! * c.z + P[11]!);
      const v = (P[4]! * c.x + P[5]! * c.y + P[6]! * c.z + P[7]!) / (P[8]! * c.x + P[9]! * c.y + P[10]! * c.z + P[11]!);
      const [x1, y1, x2, y2] = labels[i]!.box2d;
      // Boxes cut by the image border (truncated cars) may have their centre just outside: allow the border.
      expect({ i, inside: u > x1 - 40 && u < x2 + 40 && v > y1 && v < y2 }).toEqual({ i, inside: true });
      expect(o.position.z).toBeGreaterThan(0.4); // box centres above the road
      expect(o.position.z).toBeLessThan(1.4);
      expect(o.size).toEqual({ x: labels[i]!.l, y: labels[i]!.w, z: labels[i]!.h });
    });
    // The nearest car (label z 3.68 m ahead of the camera) is about 4 m ahead of base_link, on the left.
    expect(g8.objects[0]!.position.x).toBeGreaterThan(3.5);
    expect(g8.objects[0]!.position.x).toBeLessThan(4.5);
    expect(g8.objects[0]!.position.y).toBeGreaterThan(2);
  });

  withKitti("the import replays and evaluates: the plan has the camera and the Velodyne, eval scores the labelled cars", async () => {
    const out = path.join(dir, "kitti-8.mcap");
    expect((await cli("import", "kitti", SPLIT, "-o", out, "--frames", "000008", "--repeat", "10")).code).toBe(0);
    const replay = await cli("replay", out, "--max", "--no-progress", "--json");
    expect(replay.code).toBe(0);
    expect(replay.err).toMatch(/plan camera_2 \(camera: \/kitti\/camera_2\/image\), velodyne \(lidar: \/kitti\/velodyne\/points\)/);
    expect(JSON.parse(replay.out)).toMatchObject({ ticks: expect.any(Number) });
    expect(replay.err).not.toMatch(/no ground truth/);
    const ev = await cli("eval", out, "--json", "--pipelines", "lidar");
    expect(ev.code).toBe(0);
    const entry = JSON.parse(ev.out).results[0];
    // The ten ticks are scored against the frame's labels: cars are the one class with ground truth.
    expect(entry.frames).toBe(10);
    expect(Object.keys(entry.apByClass)).toEqual(["car"]);
    expect(entry.mAP).toBeGreaterThanOrEqual(0);
  });

  withKitti(
    "frames of two cameras of different sizes: each encoded with its own calibration; --per-frame scores them without tracking",
    async () => {
      // 000000 is 1224×370, 000008 1242×375: each image must meet the calibration in force at its stamp.
      const out = path.join(dir, "kitti-both.mcap");
      expect((await cli("import", "kitti", KITTI, "-o", out)).code).toBe(0);
      const replay = await cli("replay", out, "--max", "--no-progress", "--json");
      expect(replay.code).toBe(0);
      expect(replay.err).not.toMatch(/no evidence|expected 1224×370|expected 1242×375/);
      const ev = await cli("eval", out, "--per-frame", "--json", "--pipelines", "camera");
      expect(ev.code).toBe(0);
      const camera = JSON.parse(ev.out).results[0];
      expect(camera.frames).toBe(2);
      // The COCO detector finds 000000's pedestrian and 000008's cars.
      expect(camera.apByClass.pedestrian).toBeGreaterThan(0.5);
      expect(camera.apByClass.car).toBeGreaterThan(0);
    },
  );

  it("bad folders and files are one line each, naming the file and the field", async () => {
    const bad = path.join(dir, "bad");
    for (const f of ["image_2", "velodyne", "calib", "label_2"]) fs.mkdirSync(path.join(bad, f), { recursive: true });
    const png = Buffer.from("89504e470d0a1a0a0000000d494844520000000400000002080200000000000000", "hex");
    const calib = "P2: 700 0 600 45 0 700 180 0 0 0 1 0\nR0_rect: 1 0 0 0 1 0 0 0 1\nTr_velo_to_cam: 0 -1 0 0 0 0 -1 0 1 0 0 0\n";
    const write = (id: string, files: { calib?: string; bin?: Buffer; label?: string }) => {
      fs.writeFileSync(path.join(bad, "image_2", `${id}.png`), png);
      fs.writeFileSync(path.join(bad, "calib", `${id}.txt`), files.calib ?? calib);
      fs.writeFileSync(path.join(bad, "velodyne", `${id}.bin`), files.bin ?? Buffer.alloc(32));
      if (files.label !== undefined) fs.writeFileSync(path.join(bad, "label_2", `${id}.txt`), files.label);
    };
    write("000001", { bin: Buffer.alloc(30) });
    write("000002", { calib: "P2: 700 0 600 45 0 700 180 0 0 0 1 0\n" });
    write("000003", { label: "Car 0 0 0 1 2 3 4 1.5 1.6\n" });
    write("000004", {
      calib: "P2: 0 0 600 45 0 700 180 0 0 0 1 0\nR0_rect: 1 0 0 0 1 0 0 0 1\nTr_velo_to_cam: 0 -1 0 0 0 0 -1 0 1 0 0 0\n",
    });
    write("000005", {});
    const line = async (...args: string[]) => {
      const r = await cli("import", "kitti", bad, "-o", path.join(dir, "bad.mcap"), ...args);
      expect(r.code).toBe(2);
      expect(fs.existsSync(path.join(dir, "bad.mcap"))).toBe(false);
      return r.err.trim();
    };
    expect(await line("--frames", "000001")).toBe(
      `avfusion: ${bad}/velodyne/000001.bin: 30 bytes, expected a multiple of 16 (float32 x, y, z, reflectance per point)`,
    );
    expect(await line("--frames", "000002")).toBe(
      `avfusion: ${bad}/calib/000002.txt: no R0_rect line, expected a KITTI object calibration (P0..P3, R0_rect, Tr_velo_to_cam)`,
    );
    expect(await line("--frames", "000003")).toBe(
      `avfusion: ${bad}/label_2/000003.txt:1: 10 fields, expected 15 (type truncated occluded alpha x1 y1 x2 y2 h w l x y z rotation_y)`,
    );
    expect(await line("--frames", "000004")).toBe(
      `avfusion: ${bad}/calib/000004.txt: P2: focal lengths 0, 700, expected positive fx and fy`,
    );
    expect(await line("--frames", "000009")).toBe(
      `avfusion: ${bad}: frame 000009: missing image_2, velodyne or calib file, expected one of 000001, 000002, 000003, 000004, 000005`,
    );
    expect(await line("--repeat", "0")).toBe("avfusion: --repeat 0: expected an integer ≥ 1");
    const empty = path.join(dir, "empty");
    fs.mkdirSync(empty);
    const r = await cli("import", "kitti", empty, "-o", path.join(dir, "e.mcap"));
    expect(r.err.trim()).toBe(
      `avfusion: ${empty}: no image_2, velodyne and calib folders here or in training/, expected a KITTI object-format folder`,
    );
    // A frame without labels imports, and says so.
    const ok = await cli("import", "kitti", bad, "--frames", "000005", "-o", path.join(dir, "ok.mcap"));
    expect(ok.code).toBe(0);
    expect(ok.out).toContain("0 labelled objects; no labels for 000005");
  });
});
