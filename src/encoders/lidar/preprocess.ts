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
};

export type BevInput = { grid: Float32Array; stats: ReturnStats };

/**
 * Rasterises a packed x,y,z,intensity cloud (sensor frame) into the BEV grid through the
 * extrinsics ego ← sensor. Non-finite points are skipped and counted in `stats.invalid`.
 */
export function pointsToBev(points: Float32Array, count: number, extrinsics: Extrinsics, out?: Float32Array): BevInput {
  const { rows, cols, channels, cell, xMin, groundZ, maxZ } = BEV;
  const grid = out ?? new Float32Array(rows * cols * channels);
  grid.fill(0);
  const R = rotationMatrix(extrinsics.rotation);
  const t = extrinsics.translation;
  const counts = new Uint16Array(rows * cols);
  const isum = new Float32Array(rows * cols);
  let valid = 0;
  let invalid = 0;
  let far = 0;
  let nearAirborne = 0;
  let rangeSum = 0;
  for (let i = 0; i < count; i++) {
    const o = i * POINT_STRIDE;
    const px = points[o]!;
    const py = points[o + 1]!;
    const pz = points[o + 2]!;
    const inten = points[o + 3]!;
    if (!Number.isFinite(px) || !Number.isFinite(py) || !Number.isFinite(pz)) {
      invalid++;
      continue;
    }
    valid++;
    const r = Math.hypot(px, py, pz);
    rangeSum += r;
    if (r > 30) far++;
    const x = R[0]! * px + R[1]! * py + R[2]! * pz + t.x;
    const y = R[3]! * px + R[4]! * py + R[5]! * pz + t.y;
    const z = R[6]! * px + R[7]! * py + R[8]! * pz + t.z;
    if (r < 12 && z > t.z + 0.5) nearAirborne++;
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
    const h = Math.min(1, z / 4);
    if (h > grid[g + 1]!) grid[g + 1] = h;
    counts[c]!++;
    isum[c]! += Number.isFinite(inten) ? inten : 0;
  }
  const logNorm = Math.log(33);
  for (let c = 0; c < rows * cols; c++) {
    const n = counts[c]!;
    if (n === 0) continue;
    grid[c * channels + 2] = Math.min(1, isum[c]! / n / 255);
    grid[c * channels + 3] = Math.min(1, Math.log(1 + n) / logNorm);
  }
  return { grid, stats: { valid, invalid, far, nearAirborne, meanRange: valid > 0 ? rangeSum / valid : 0 } };
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
