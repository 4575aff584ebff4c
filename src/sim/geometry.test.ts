import { buildPartTable, hit, insideBox, intersectPart } from "./geometry";
import { Prng } from "./Prng";
import { partsFor, type BodyState } from "./world";

function boxBody(x: number, y: number, yaw: number, L: number, W: number, H: number): BodyState {
  return {
    body: {
      id: 1,
      classification: "car",
      length: L,
      width: W,
      height: H,
      parts: partsFor("pole", L, W, H, [1, 2, 3]),
      rcsDbsm: 0,
      scatterers: 1,
      isStatic: true,
      motion: { type: "static", x, y, yawDeg: 0 },
    },
    x,
    y,
    z: H / 2,
    yaw,
    vx: 0,
    vy: 0,
  };
}

describe("ray / oriented box (slab method)", () => {
  it("hits an axis-aligned box's near face with the right distance and normal", () => {
    const t = buildPartTable([boxBody(10, 0, 0, 4, 2, 2)], 0, 0, 1);
    expect(intersectPart(t.data, 0, 0, 0, 0, 1, 0, 0)).toBeCloseTo(8, 12);
    expect(hit.nx).toBe(-1);
    expect(Math.abs(hit.ny) + Math.abs(hit.nz)).toBe(0);
    expect(intersectPart(t.data, 0, 0, 0, 0, 0, 1, 0)).toBe(Infinity);
    expect(intersectPart(t.data, 0, 0, 0, 0, -1, 0, 0)).toBe(Infinity);
  });

  it("handles yaw: a box turned 90° presents its long side", () => {
    const t = buildPartTable([boxBody(10, 0, Math.PI / 2, 4, 2, 2)], 0, 0, 1);
    expect(intersectPart(t.data, 0, 0, 0, 0, 1, 0, 0)).toBeCloseTo(9, 12);
    expect(hit.nx).toBeCloseTo(-1, 12);
    // A ray 1.9 m to the side still hits (half-length 2 now lies across).
    expect(intersectPart(t.data, 0, 0, 1.9, 0, 1, 0, 0)).toBeCloseTo(9, 12);
    expect(intersectPart(t.data, 0, 0, 2.1, 0, 1, 0, 0)).toBe(Infinity);
  });

  it("agrees with a point-in-box test along random rays", () => {
    const rng = new Prng(3);
    for (let k = 0; k < 200; k++) {
      const b = boxBody(
        rng.uniform(-20, 20),
        rng.uniform(-20, 20),
        rng.uniform(-3, 3),
        rng.uniform(0.5, 8),
        rng.uniform(0.5, 3),
        rng.uniform(0.5, 4),
      );
      if (insideBox(b, 0, 0, 1)) continue;
      const t = buildPartTable([b], 0, 0, 0);
      const az = rng.uniform(-Math.PI, Math.PI);
      const el = rng.uniform(-0.3, 0.3);
      const d = [Math.cos(el) * Math.cos(az), Math.cos(el) * Math.sin(az), Math.sin(el)] as const;
      const oz = 1;
      const r = intersectPart(t.data, 0, 0, 0, oz - 0, d[0], d[1], d[2]);
      // March along the ray: the first inside sample must be just after r.
      let first = Infinity;
      for (let s = 0; s < 60; s += 0.01) {
        if (insideBox(b, d[0] * s, d[1] * s, oz + d[2] * s)) {
          first = s;
          break;
        }
      }
      if (first === Infinity) expect(r).toBe(Infinity);
      else expect(Math.abs(r - first)).toBeLessThan(0.011);
    }
  });
});
