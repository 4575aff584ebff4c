import { POINT_STRIDE } from "../../types";
import { rotationMatrix, type Extrinsics } from "../common/extrinsics";

/*
 * Points → bird's-eye-view grid in the ego frame (pure; DESIGN.md "preprocess.ts (pure)").
 * Grid: x from X_MIN to X_MIN + ROWS·CELL ahead, y ±COLS·CELL/2 (left positive), row-major
 * [row = x cell, col = y cell, channel], channels:
 *   0 occupancy of above-ground points (0/1),
 *   1 max height above ground of those points (m / 4, clipped to 1),
 *   2 mean intensity of those points (/255),
 *   3 log(1 + count)/log(33) of those points (clipped to 1),
 *   4 ground returns present (0/1): a ground return shows the cell is seen and free.
 */

export const BEV = {
  /** Cell size (m). */
  cell: 0.5,
  /** Grid rows along +x, columns along y. */
  rows: 128,
  cols: 128,
  channels: 5,
  /** Near edge of the grid (m, ego x). */
  xMin: 0,
  /** Points lower than this above the ground plane (m, ego z) count as ground. */
  groundZ: 0.25,
  /** Points higher than this (m) are ignored (overhead structures, nothing to drive into). */
  maxZ: 4,
} as const;

export const BEV_X_MAX = BEV.xMin + BEV.rows * BEV.cell;
export const BEV_Y_HALF = (BEV.cols * BEV.cell) / 2;

/**
 * Forward azimuth sectors for the coverage statistic: the half-plane ahead of the sensor split
 * into this many bins, uniform in the pseudo-angle dy / (dx + |dy|) (each 6.4–12.7° wide), so a
 * sector always holds returns for any azimuth resolution finer than ~6°.
 */
export const COVERAGE_SECTORS = 18;

/** Return statistics of a sweep, for the quality estimate. Ranges are from the sensor (m). */
export type ReturnStats = {
  /** Points with finite coordinates. */
  valid: number;
  /** Points dropped as NaN/Infinity. */
  invalid: number;
  /** Returns beyond 30 m. */
  far: number;
  /** Returns closer than 12 m that are at least 0.5 m above the sensor-level plane of the ground (soft-target echoes: fog backscatter). */
  nearAirborne: number;
  meanRange: number;
  /** Forward sectors (of `COVERAGE_SECTORS`) holding at least one return: a blocked window leaves some empty. */
  sectorsSeen: number;
};

export type BevInput = { grid: Float32Array; stats: ReturnStats };

// Scratch for one call (pointsToBev is synchronous): reused so that a sweep allocates nothing.
const CELLS = BEV.rows * BEV.cols;
const scratchCounts = new Uint16Array(CELLS);
const scratchIntensity = new Float32Array(CELLS);
const scratchSectors = new Uint8Array(COVERAGE_SECTORS);

function clearScratch(): void {
  scratchCounts.fill(0);
  scratchIntensity.fill(0);
  scratchSectors.fill(0);
}

/**
 * Rasterises a packed x,y,z,intensity cloud (sensor frame) into the BEV grid through the
 * extrinsics ego ← sensor. Non-finite points are skipped and counted in `stats.invalid`.
 * `out` (length rows·cols·channels) is overwritten and returned, so callers can reuse one buffer.
 */
export function pointsToBev(points: Float32Array, count: number, extrinsics: Extrinsics, out?: Float32Array): BevInput {
  const { rows, cols, channels, cell, xMin, groundZ, maxZ } = BEV;
  const grid = out ?? new Float32Array(rows * cols * channels);
  grid.fill(0);
  const R = rotationMatrix(extrinsics.rotation);
  const r0 = R[0]!,
    r1 = R[1]!,
    r2 = R[2]!,
    r3 = R[3]!,
    r4 = R[4]!,
    r5 = R[5]!,
    r6 = R[6]!,
    r7 = R[7]!,
    r8 = R[8]!;
  const tx = extrinsics.translation.x;
  const ty = extrinsics.translation.y;
  const tz = extrinsics.translation.z;
  const airborneZ = tz + 0.5;
  const counts = scratchCounts;
  const isum = scratchIntensity;
  const sectors = scratchSectors;
  clearScratch();
  const halfSectors = COVERAGE_SECTORS / 2;
  let valid = 0;
  let invalid = 0;
  let far = 0;
  let nearAirborne = 0;
  let rangeSum = 0;
  const n4 = count * POINT_STRIDE;
  for (let o = 0; o < n4; o += POINT_STRIDE) {
    const px = points[o]!;
    const py = points[o + 1]!;
    const pz = points[o + 2]!;
    // x − x is 0 for finite x and NaN for NaN and ±Infinity.
    if (px - px !== 0 || py - py !== 0 || pz - pz !== 0) {
      invalid++;
      continue;
    }
    valid++;
    const rr = px * px + py * py + pz * pz;
    rangeSum += Math.sqrt(rr);
    if (rr > 900) far++;
    const x = r0 * px + r1 * py + r2 * pz + tx;
    const y = r3 * px + r4 * py + r5 * pz + ty;
    const z = r6 * px + r7 * py + r8 * pz + tz;
    if (rr < 144 && z > airborneZ) nearAirborne++;
    const dx = x - tx;
    if (dx > 0) {
      const dy = y - ty;
      let s = Math.floor((dy / (dx + (dy < 0 ? -dy : dy)) + 1) * halfSectors);
      if (s >= COVERAGE_SECTORS) s = COVERAGE_SECTORS - 1;
      sectors[s] = 1;
    }
    const row = Math.floor((x - xMin) / cell);
    const col = Math.floor((BEV_Y_HALF - y) / cell);
    if (row < 0 || row >= rows || col < 0 || col >= cols) continue;
    const c = row * cols + col;
    const g = c * channels;
    if (z < groundZ) {
      grid[g + 4] = 1;
      continue;
    }
    if (z > maxZ) continue;
    grid[g] = 1;
    const h = z < 4 ? z / 4 : 1;
    if (h > grid[g + 1]!) grid[g + 1] = h;
    counts[c]!++;
    const inten = points[o + 3]!;
    if (inten - inten === 0) isum[c]! += inten;
  }
  const logNorm = Math.log(33);
  for (let c = 0; c < CELLS; c++) {
    const n = counts[c]!;
    if (n === 0) continue;
    grid[c * channels + 2] = Math.min(1, isum[c]! / n / 255);
    grid[c * channels + 3] = Math.min(1, Math.log(1 + n) / logNorm);
  }
  let sectorsSeen = 0;
  for (let s = 0; s < COVERAGE_SECTORS; s++) sectorsSeen += sectors[s]!;
  return { grid, stats: { valid, invalid, far, nearAirborne, meanRange: valid > 0 ? rangeSum / valid : 0, sectorsSeen } };
}

/** Centre of BEV cell (row, col) in the ego frame (m). */
export function bevCellCentre(row: number, col: number): { x: number; y: number } {
  return { x: BEV.xMin + (row + 0.5) * BEV.cell, y: BEV_Y_HALF - (col + 0.5) * BEV.cell };
}

/** The (fractional) grid coordinates of an ego-frame point: row along x, col along −y. */
export function egoToBev(x: number, y: number): { row: number; col: number } {
  return { row: (x - BEV.xMin) / BEV.cell, col: (BEV_Y_HALF - y) / BEV.cell };
}

/** Whether an ego-frame point lies inside the grid. */
export function insideBev(x: number, y: number): boolean {
  return x >= BEV.xMin && x < BEV_X_MAX && y > -BEV_Y_HALF && y <= BEV_Y_HALF;
}
