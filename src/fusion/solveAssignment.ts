/**
 * Optimal assignment for rectangular cost matrices with infeasible (gated-out) pairs.
 *
 * A pair whose cost is `+Infinity` can never be matched. Two objectives are supported:
 * - with `unmatchedRowCost` / `unmatchedColCost` given, the matching minimises
 *   Σ matched costs + unmatchedRowCost·(#unmatched rows) + unmatchedColCost·(#unmatched cols),
 *   so a pair is only taken when it is cheaper than leaving both ends unmatched;
 * - without them, the matching has the largest possible number of pairs and, among those, the
 *   smallest total cost (the usual "gate, then assign" semantics).
 *
 * The gating graph is split into connected components first (pairs in different components never
 * compete), and each component is solved exactly with the shortest-augmenting-path Hungarian
 * method (the Jonker–Volgenant family, O(n²·m) for n ≤ m) on a finite rectangular matrix:
 * - maximum-pairs mode: a gated-out pair costs more than all feasible costs together, so the
 *   solver uses one only where no feasible pair is left, and such pairs are dropped afterwards;
 * - penalised mode: a pair costs min(c − rowCost − colCost, 0), the change of the objective when
 *   it is taken; a row "matched" at cost 0 is left unmatched. Since n ≤ m, every partial matching
 *   extends to a full one with zero-cost pairs, so the optimum is the same.
 * Gated tracking matrices are very sparse, so components are small and this is near-linear.
 */

/** Row-major cost matrix; `data[r * cols + c]` is the cost of matching row r with column c. */
export type CostMatrix = {
  rows: number;
  cols: number;
  data: Float64Array;
};

export type AssignmentOptions = {
  /** Cost of leaving a row unmatched; absent = maximise the number of pairs first. */
  unmatchedRowCost?: number;
  /** Cost of leaving a column unmatched; absent = maximise the number of pairs first. */
  unmatchedColCost?: number;
};

export type Assignment = {
  /** Column matched to each row, or -1. */
  rowToCol: Int32Array;
  /** Row matched to each column, or -1. */
  colToRow: Int32Array;
  /** Sum of the costs of the matched pairs (unmatched penalties not included). */
  matchedCost: number;
};

export function costMatrix(rows: number, cols: number, fill = Infinity): CostMatrix {
  const data = new Float64Array(rows * cols);
  data.fill(fill);
  return { rows, cols, data };
}

export function solveAssignment(matrix: CostMatrix, options: AssignmentOptions = {}): Assignment {
  const { rows, cols, data } = matrix;
  checkMatrix(matrix);
  const { unmatchedRowCost, unmatchedColCost } = options;
  const maxCardinality = unmatchedRowCost === undefined || unmatchedColCost === undefined;
  if (!maxCardinality && (!Number.isFinite(unmatchedRowCost) || !Number.isFinite(unmatchedColCost))) {
    throw new RangeError(`solveAssignment: unmatched costs must be finite, got row ${unmatchedRowCost}, column ${unmatchedColCost}`);
  }
  const result: Assignment = { rowToCol: new Int32Array(rows).fill(-1), colToRow: new Int32Array(cols).fill(-1), matchedCost: 0 };
  // Maximum-pairs mode has no penalty: every feasible pair is worth taking.
  const penalty = maxCardinality ? undefined : unmatchedRowCost! + unmatchedColCost!;
  const { compRows, compCols } = components(rows, cols, data);
  for (const [root, rs] of compRows) {
    const cs = compCols.get(root);
    if (cs === undefined) continue; // an isolated row: nothing feasible
    if (rs.length === 1 && cs.length === 1) matchSinglePair(matrix, rs[0]!, cs[0]!, penalty, result);
    else solveComponent(matrix, rs, cs, penalty, result);
  }
  return result;
}

function checkMatrix({ rows, cols, data }: CostMatrix): void {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new RangeError(`solveAssignment: expected non-negative integer dimensions, got ${rows}×${cols}`);
  }
  if (data.length !== rows * cols) {
    throw new RangeError(`solveAssignment: expected ${rows * cols} costs for ${rows}×${cols}, got ${data.length}`);
  }
  for (let k = 0; k < data.length; k++) {
    const c = data[k]!;
    if (Number.isNaN(c) || c === -Infinity) {
      throw new RangeError(
        `solveAssignment: cost at row ${Math.floor(k / cols)}, column ${k % cols} is ${c}; expected a finite number or +Infinity`,
      );
    }
  }
}

/** Connected components of the gating graph (union-find over rows [0, rows) and columns [rows, rows + cols)), by root. */
function components(rows: number, cols: number, data: Float64Array): { compRows: Map<number, number[]>; compCols: Map<number, number[]> } {
  const parent = new Int32Array(rows + cols);
  for (let i = 0; i < parent.length; i++) parent[i] = i;
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!;
      x = parent[x]!;
    }
    return x;
  };
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (data[r * cols + c]! !== Infinity) {
        const a = find(r);
        const b = find(rows + c);
        if (a !== b) parent[a] = b;
      }
    }
  }
  const compRows = new Map<number, number[]>();
  const compCols = new Map<number, number[]>();
  for (let r = 0; r < rows; r++) push(compRows, find(r), r);
  for (let c = 0; c < cols; c++) push(compCols, find(rows + c), c);
  return { compRows, compCols };
}

/** A component of one row and one column: the pair is taken when feasible (and, penalised, cheaper than leaving both unmatched). */
function matchSinglePair({ cols, data }: CostMatrix, r: number, col: number, penalty: number | undefined, out: Assignment): void {
  const c = data[r * cols + col]!;
  if (penalty === undefined || c < penalty) {
    out.rowToCol[r] = col;
    out.colToRow[col] = r;
    out.matchedCost += c;
  }
}

/** One component solved exactly by the Hungarian method on a finite local matrix (see the file comment). */
function solveComponent(
  { cols, data }: CostMatrix,
  rs: readonly number[],
  cs: readonly number[],
  penaltyOrNone: number | undefined,
  out: Assignment,
): void {
  const maxCardinality = penaltyOrNone === undefined;
  const penalty = penaltyOrNone ?? 0;
  let big = 1;
  if (maxCardinality) {
    for (const r of rs)
      for (const c of cs) {
        const v = data[r * cols + c]!;
        if (v !== Infinity) big += Math.abs(v);
      }
  }
  // Local problem with rows ≤ columns (transposed when needed), all entries finite.
  const transpose = rs.length > cs.length;
  const n = transpose ? cs.length : rs.length;
  const m = transpose ? rs.length : cs.length;
  const a = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const r = transpose ? rs[j]! : rs[i]!;
      const c = transpose ? cs[i]! : cs[j]!;
      const v = data[r * cols + c]!;
      a[i * m + j] = maxCardinality ? (v === Infinity ? big : v) : v === Infinity ? 0 : Math.min(v - penalty, 0);
    }
  }
  const colOfRow = hungarian(n, m, a);
  for (let i = 0; i < n; i++) {
    const j = colOfRow[i]!;
    const r = transpose ? rs[j]! : rs[i]!;
    const c = transpose ? cs[i]! : cs[j]!;
    const v = data[r * cols + c]!;
    const take = v !== Infinity && (maxCardinality || v - penalty < 0);
    if (take) {
      out.rowToCol[r] = c;
      out.colToRow[c] = r;
      out.matchedCost += v;
    }
  }
}

function push(map: Map<number, number[]>, key: number, value: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/**
 * Shortest augmenting path Hungarian method with potentials for an n×m matrix of finite costs,
 * n ≤ m: every row is matched. Returns the column of each row.
 */
function hungarian(n: number, m: number, a: Float64Array): Int32Array {
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1); // p[j]: row (1-based) matched to column j; 0 = free
  const way = new Int32Array(m + 1);
  const minv = new Float64Array(m + 1);
  const used = new Uint8Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = p[j0]!;
      const rowBase = (i0 - 1) * m;
      const ui0 = u[i0]!;
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = a[rowBase + j - 1]! - ui0 - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]!] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  const colOfRow = new Int32Array(n);
  for (let j = 1; j <= m; j++) if (p[j]! > 0) colOfRow[p[j]! - 1] = j - 1;
  return colOfRow;
}
