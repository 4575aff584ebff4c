import fc from "fast-check";
import { costMatrix, solveAssignment, type CostMatrix } from "./solveAssignment";

type Best = { pairs: number; objective: number };

/** Exhaustive search over all partial matchings of feasible pairs. */
function bruteForce(m: CostMatrix, rowCost?: number, colCost?: number): Best {
  const usedCols = new Array<boolean>(m.cols).fill(false);
  let best: Best = { pairs: -1, objective: Infinity };
  const penalised = rowCost !== undefined && colCost !== undefined;
  const visit = (r: number, pairs: number, cost: number): void => {
    if (r === m.rows) {
      const objective = penalised ? cost + rowCost * (m.rows - pairs) + colCost * (m.cols - pairs) : cost;
      if (penalised) {
        if (objective < best.objective) best = { pairs, objective };
      } else if (pairs > best.pairs || (pairs === best.pairs && objective < best.objective)) {
        best = { pairs, objective };
      }
      return;
    }
    visit(r + 1, pairs, cost);
    for (let c = 0; c < m.cols; c++) {
      const v = m.data[r * m.cols + c]!;
      if (usedCols[c] || v === Infinity) continue;
      usedCols[c] = true;
      visit(r + 1, pairs + 1, cost + v);
      usedCols[c] = false;
    }
  };
  visit(0, 0, 0);
  return best;
}

const matrixArb = fc
  .record({ rows: fc.integer({ min: 0, max: 5 }), cols: fc.integer({ min: 0, max: 5 }) })
  .chain(({ rows, cols }) =>
    fc
      .array(
        fc.oneof({ weight: 3, arbitrary: fc.double({ min: -20, max: 50, noNaN: true }) }, { weight: 1, arbitrary: fc.constant(Infinity) }),
        { minLength: rows * cols, maxLength: rows * cols },
      )
      .map((values): CostMatrix => ({ rows, cols, data: Float64Array.from(values) })),
  );

function checkConsistent(m: CostMatrix, rowToCol: Int32Array, colToRow: Int32Array): number {
  let pairs = 0;
  for (let r = 0; r < m.rows; r++) {
    const c = rowToCol[r]!;
    if (c < 0) continue;
    pairs++;
    expect(colToRow[c]).toBe(r);
    expect(m.data[r * m.cols + c]).not.toBe(Infinity);
  }
  for (let c = 0; c < m.cols; c++) if (colToRow[c]! >= 0) expect(rowToCol[colToRow[c]!]).toBe(c);
  return pairs;
}

describe("solveAssignment", () => {
  it("matches brute force: maximum pairs, then minimum cost", () => {
    fc.assert(
      fc.property(matrixArb, (m) => {
        const result = solveAssignment(m);
        const pairs = checkConsistent(m, result.rowToCol, result.colToRow);
        const best = bruteForce(m);
        expect(pairs).toBe(best.pairs);
        expect(result.matchedCost).toBeCloseTo(best.objective, 6);
      }),
      { numRuns: 400, seed: 6 },
    );
  });

  it("matches brute force with costs for leaving rows and columns unmatched", () => {
    fc.assert(
      fc.property(
        matrixArb,
        fc.double({ min: 0, max: 30, noNaN: true }),
        fc.double({ min: 0, max: 30, noNaN: true }),
        (m, rowCost, colCost) => {
          const result = solveAssignment(m, { unmatchedRowCost: rowCost, unmatchedColCost: colCost });
          const pairs = checkConsistent(m, result.rowToCol, result.colToRow);
          const objective = result.matchedCost + rowCost * (m.rows - pairs) + colCost * (m.cols - pairs);
          expect(objective).toBeCloseTo(bruteForce(m, rowCost, colCost).objective, 6);
        },
      ),
      { numRuns: 400, seed: 7 },
    );
  });

  it("solves a textbook 3×3 case", () => {
    const m: CostMatrix = { rows: 3, cols: 3, data: Float64Array.from([4, 1, 3, 2, 0, 5, 3, 2, 2]) };
    const result = solveAssignment(m);
    expect(Array.from(result.rowToCol)).toEqual([1, 0, 2]);
    expect(result.matchedCost).toBe(5);
  });

  it("leaves a pair unmatched when that is cheaper", () => {
    const m: CostMatrix = { rows: 1, cols: 1, data: Float64Array.from([10]) };
    expect(solveAssignment(m, { unmatchedRowCost: 4, unmatchedColCost: 4 }).rowToCol[0]).toBe(-1);
    expect(solveAssignment(m, { unmatchedRowCost: 6, unmatchedColCost: 6 }).rowToCol[0]).toBe(0);
  });

  it("prefers more pairs over a cheaper single pair without unmatched costs", () => {
    // Row 0 could take column 0 cheaply, but then row 1 has nothing.
    const m: CostMatrix = { rows: 2, cols: 2, data: Float64Array.from([0, 100, 1, Infinity]) };
    const result = solveAssignment(m);
    expect(Array.from(result.rowToCol)).toEqual([1, 0]);
  });

  it("handles empty and fully gated matrices", () => {
    expect(solveAssignment(costMatrix(0, 3)).colToRow.length).toBe(3);
    const gated = solveAssignment(costMatrix(3, 2));
    expect(Array.from(gated.rowToCol)).toEqual([-1, -1, -1]);
    expect(gated.matchedCost).toBe(0);
  });

  it("rejects NaN and -Infinity costs with the position", () => {
    const m: CostMatrix = { rows: 2, cols: 2, data: Float64Array.from([1, 2, NaN, 3]) };
    expect(() => solveAssignment(m)).toThrow("cost at row 1, column 0 is NaN");
    m.data[2] = -Infinity;
    expect(() => solveAssignment(m)).toThrow("-Infinity");
  });

  it("rejects a data length that does not match the dimensions", () => {
    expect(() => solveAssignment({ rows: 2, cols: 2, data: new Float64Array(3) })).toThrow("expected 4 costs");
  });
});
