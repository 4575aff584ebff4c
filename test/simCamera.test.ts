import sharp from "sharp";
import { extinction } from "../src/sim/fog";
import { AIRLIGHT_DAY, renderCamera } from "../src/sim/renderCamera";
import { cameraIntrinsics } from "../src/sim/rig";
import { buildWorld, snapshotAt } from "../src/sim/world";
import { scenario } from "./simHelpers";

// One dark car straight ahead at distance d with nothing else in the scene; ego at rest.
function sceneWithCarAt(d: number, visibilityM?: number) {
  return scenario({
    durationS: 1,
    ego: { speedMps: 0 },
    weather: visibilityM ? { visibilityM } : {},
    clutter: { poleSpacingM: 0, guardRails: false, parkedCars: 0 },
    actors: [{ class: "car", color: [30, 30, 35], motion: { type: "static", x: 1.8 + d, y: 0, yawDeg: 0 } }],
  });
}

/**
 * Apparent contrast against the horizon sky, C = (I_obj − I_sky) / I_sky, per channel 0, at the
 * car's pixels; the sky above the car is the fog's airlight A.
 */
function contrastAtCar(rgb: Uint8Array, bodyIndex: Int32Array, width: number, sky: number): { c: number; n: number } {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < bodyIndex.length; i++) {
    if (bodyIndex[i] !== 0) continue;
    sum += (rgb[i * 3]! - sky) / sky;
    n++;
  }
  void width;
  return { c: sum / n, n };
}

describe("camera fog (Koschmieder)", () => {
  const k = cameraIntrinsics(sceneWithCarAt(10).sensors.camera);

  it.each([
    [20, 50],
    [40, 50],
    [30, 150],
    [80, 150],
    [70, 300],
  ])("contrast of a car at %d m in fog V=%d m follows e^(−3.912 d / V)", (d, V) => {
    const clearScene = sceneWithCarAt(d);
    const clearWorld = buildWorld(clearScene);
    const clear = renderCamera(clearWorld, snapshotAt(clearWorld, 0), k, { beta: 0, night: false, noise: null });
    const foggyScene = sceneWithCarAt(d, V);
    const foggyWorld = buildWorld(foggyScene);
    const beta = extinction(V);
    const fog = renderCamera(foggyWorld, snapshotAt(foggyWorld, 0), k, { beta, night: false, noise: null });
    // Inherent contrast C0 of the car against the airlight, from the clear render's radiance.
    const A = AIRLIGHT_DAY[0];
    let c0 = 0;
    let n0 = 0;
    let depth = 0;
    for (let i = 0; i < clear.bodyIndex.length; i++) {
      if (clear.bodyIndex[i] !== 0) continue;
      c0 += (clear.radiance[i * 3]! - A) / A;
      depth += clear.depth[i]!;
      n0++;
    }
    c0 /= n0;
    depth /= n0;
    // Sky in fog is the airlight: check it, then measure apparent contrast in the 8-bit image.
    const skyPixel = fog.rgb[0]!;
    expect(Math.abs(skyPixel - A)).toBeLessThanOrEqual(1);
    const { c, n } = contrastAtCar(fog.rgb, fog.bodyIndex, fog.width, skyPixel);
    expect(n).toBeGreaterThan(4);
    const expected = Math.exp((-3.912 * depth) / V);
    expect(c / c0).toBeCloseTo(expected, 1);
    expect(Math.abs(c / c0 - expected)).toBeLessThan(0.02 + 1 / (A * Math.abs(c0)));
    // And it is really attenuated: with no fog the ratio would be 1.
    expect(c / c0).toBeLessThan(0.9);
  });

  it("survives JPEG encoding: the decoded frame shows the same fog attenuation", async () => {
    const d = 25;
    const V = 100;
    const world = buildWorld(sceneWithCarAt(d, V));
    const img = renderCamera(world, snapshotAt(world, 0), k, { beta: extinction(V), night: false, noise: null });
    const jpeg = await sharp(img.rgb, { raw: { width: img.width, height: img.height, channels: 3 } })
      .jpeg({ quality: 80 })
      .toBuffer();
    const decoded = new Uint8Array(await sharp(jpeg).raw().toBuffer());
    const raw = contrastAtCar(img.rgb, img.bodyIndex, img.width, img.rgb[0]!);
    const fromJpeg = contrastAtCar(decoded, img.bodyIndex, img.width, decoded[0]!);
    expect(Math.abs(fromJpeg.c - raw.c)).toBeLessThan(0.05);
  });

  it("draws classes with distinct shapes and colours over road and sky", () => {
    const s = scenario({
      durationS: 1,
      ego: { speedMps: 0 },
      clutter: { poleSpacingM: 0, guardRails: false, parkedCars: 0 },
      actors: [
        { class: "truck", motion: { type: "static", x: 40, y: 3.5, yawDeg: 0 } },
        { class: "pedestrian", motion: { type: "static", x: 15, y: -2, yawDeg: 90 } },
        { class: "car", motion: { type: "static", x: 25, y: 0, yawDeg: 0 } },
      ],
    });
    const world = buildWorld(s);
    const img = renderCamera(world, snapshotAt(world, 0), k, { beta: 0, night: false, noise: null });
    const mean = (bi: number): [number, number, number, number] => {
      let r = 0;
      let g = 0;
      let b = 0;
      let n = 0;
      for (let i = 0; i < img.bodyIndex.length; i++) {
        if (img.bodyIndex[i] !== bi) continue;
        r += img.rgb[i * 3]!;
        g += img.rgb[i * 3 + 1]!;
        b += img.rgb[i * 3 + 2]!;
        n++;
      }
      return [r / n, g / n, b / n, n];
    };
    const truck = mean(0);
    const ped = mean(1);
    const car = mean(2);
    for (const m of [truck, ped, car]) expect(m[3]).toBeGreaterThan(20);
    // Pedestrians are tall and thin on screen, vehicles wide.
    const bbox = (bi: number): { w: number; h: number } => {
      let u0 = Infinity;
      let u1 = -Infinity;
      let v0 = Infinity;
      let v1 = -Infinity;
      for (let i = 0; i < img.bodyIndex.length; i++) {
        if (img.bodyIndex[i] !== bi) continue;
        const u = i % img.width;
        const v = Math.floor(i / img.width);
        u0 = Math.min(u0, u);
        u1 = Math.max(u1, u);
        v0 = Math.min(v0, v);
        v1 = Math.max(v1, v);
      }
      return { w: u1 - u0 + 1, h: v1 - v0 + 1 };
    };
    expect(bbox(1).h / bbox(1).w).toBeGreaterThan(2);
    expect(bbox(0).w / bbox(0).h).toBeGreaterThan(0.5);
    // Sky (top row) is bright blue-ish, road (bottom row) is grey: the blue channel dominates the sky.
    expect(img.rgb[2]!).toBeGreaterThan(img.rgb[0]!);
    const bottom = (img.height - 1) * img.width * 3 + Math.floor(img.width / 2) * 3;
    expect(Math.abs(img.rgb[bottom]! - img.rgb[bottom + 2]!)).toBeLessThan(15);
    // Colours differ between the classes.
    const dist = (a: number[], b: number[]): number => Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);
    expect(dist(truck, ped)).toBeGreaterThan(20);
    expect(dist(car, ped)).toBeGreaterThan(20);
  });

  it("renders night darker, with headlights on the road ahead and a glowing light bar", () => {
    const s = scenario({
      durationS: 1,
      ego: { speedMps: 0 },
      clutter: { poleSpacingM: 0, guardRails: false, parkedCars: 0 },
      actors: [{ class: "emergency_vehicle", motion: { type: "static", x: 30, y: 0, yawDeg: 180 } }],
    });
    const world = buildWorld(s);
    const day = renderCamera(world, snapshotAt(world, 0), k, { beta: 0, night: false, noise: null });
    const night = renderCamera(world, snapshotAt(world, 0), k, { beta: 0, night: true, noise: null });
    const mean = (rgb: Uint8Array): number => rgb.reduce((a, b) => a + b, 0) / rgb.length;
    expect(mean(night.rgb)).toBeLessThan(0.4 * mean(day.rgb));
    // Road just ahead (bottom row) is lit by the headlights more than the road far ahead.
    const row = (v: number): number => {
      let sum = 0;
      for (let u = 0; u < night.width; u++) sum += night.rgb[(v * night.width + u) * 3]!;
      return sum / night.width;
    };
    expect(row(night.height - 1)).toBeGreaterThan(2 * row(Math.round(night.height * 0.55)));
    // The light bar (emissive) keeps its full colour at night.
    let brightest = 0;
    for (let i = 0; i < night.bodyIndex.length; i++) if (night.bodyIndex[i] === 0) brightest = Math.max(brightest, night.rgb[i * 3]!);
    expect(brightest).toBeGreaterThan(200);
  });
});
