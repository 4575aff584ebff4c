import { StampedHistory } from "./stampedHistory";

describe("StampedHistory", () => {
  const v = (stamp: bigint, name: string) => ({ stamp, name });
  it("gives the value in force at a stamp: the latest at or before it, else the earliest", () => {
    const h = new StampedHistory<{ stamp: bigint; name: string }>();
    h.add("cam", v(100n, "b"));
    h.add("cam", v(50n, "a")); // out of order: kept in stamp order
    h.add("cam", v(200n, "c"));
    expect(h.at("cam", 49n)?.name).toBe("a");
    expect(h.at("cam", 50n)?.name).toBe("a");
    expect(h.at("cam", 150n)?.name).toBe("b");
    expect(h.at("cam", 10_000n)?.name).toBe("c");
    expect(h.at("other", 100n)).toBeUndefined();
  });

  it("keeps at most `cap` values per key, dropping the oldest", () => {
    const h = new StampedHistory<{ stamp: bigint; name: string }>(2);
    for (const [s, n] of [
      [1n, "a"],
      [2n, "b"],
      [3n, "c"],
    ] as const)
      h.add("k", v(s, n));
    expect(h.at("k", 1n)?.name).toBe("b"); // "a" is gone: the earliest left is "b"
    expect(h.at("k", 3n)?.name).toBe("c");
  });
});
