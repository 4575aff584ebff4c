import { classCompatibility, classIndex, classVectorOf, combine, discount, ignorance, pignistic, UNKNOWN_INDEX } from "./classBelief";

describe("classBelief", () => {
  it("puts probability a detection does not assign on `unknown`", () => {
    const v = classVectorOf({ car: 0.6, truck: 0.1 });
    expect(v[classIndex("car")]).toBeCloseTo(0.6, 12);
    expect(v[UNKNOWN_INDEX]).toBeCloseTo(0.3, 12);
    const over = classVectorOf({ car: 0.9, truck: 0.6 });
    expect(over[classIndex("car")]).toBeCloseTo(0.6, 12);
    expect(over[UNKNOWN_INDEX]).toBe(0);
  });

  it("scores compatibility: same and related classes high, unrelated zero, no opinion neutral", () => {
    const car = classVectorOf({ car: 1 });
    const truck = classVectorOf({ truck: 1 });
    const ped = classVectorOf({ pedestrian: 1 });
    const none = classVectorOf({});
    expect(classCompatibility(car, car)).toBeCloseTo(1, 12);
    expect(classCompatibility(car, truck)).toBeCloseTo(1, 12);
    expect(classCompatibility(car, ped)).toBe(0);
    expect(classCompatibility(car, none)).toBe(1);
    expect(classCompatibility(ped, none)).toBe(1);
    expect(classCompatibility(classVectorOf({ car: 0.5 }), ped)).toBeCloseTo(0.5, 12);
  });

  it("combines by Dempster's rule", () => {
    // a: car 0.6, u 0.4; b: car 0.5, ped 0.3, u 0.2.
    const m = combine(classVectorOf({ car: 0.6 }), classVectorOf({ car: 0.5, pedestrian: 0.3 }));
    // car: .6·.5 + .6·.2 + .4·.5 = .62; ped: .4·.3 = .12; u: .08; conflict .18 → ÷ .82.
    expect(m[classIndex("car")]).toBeCloseTo(0.62 / 0.82, 12);
    expect(m[classIndex("pedestrian")]).toBeCloseTo(0.12 / 0.82, 12);
    expect(m[UNKNOWN_INDEX]).toBeCloseTo(0.08 / 0.82, 12);
    // Ignorance is the neutral element; total conflict gives ignorance.
    expect(Array.from(combine(ignorance(), classVectorOf({ truck: 0.7 })))).toEqual(Array.from(classVectorOf({ truck: 0.7 })));
    expect(Array.from(combine(classVectorOf({ car: 1 }), classVectorOf({ pedestrian: 1 })))).toEqual(Array.from(ignorance()));
  });

  it("discounts toward ignorance and shares `unknown` evenly in the pignistic probabilities", () => {
    const d = discount(classVectorOf({ car: 1 }), 0.7);
    expect(d[classIndex("car")]).toBeCloseTo(0.7, 12);
    expect(d[UNKNOWN_INDEX]).toBeCloseTo(0.3, 12);
    const p = pignistic(d);
    expect(p[classIndex("car")]).toBeCloseTo(0.7 + 0.3 / 7, 12);
    expect(p[classIndex("truck")]).toBeCloseTo(0.3 / 7, 12);
    expect(p[UNKNOWN_INDEX]).toBe(0);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });
});
