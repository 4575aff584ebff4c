import * as fs from "fs";
import * as path from "path";
import { generateFoxgloveProtos } from "./foxgloveProtos";

describe("proto/foxglove", () => {
  it("matches what scripts/genFoxgloveProtos.ts produces (run it if this fails)", () => {
    const dir = path.resolve(__dirname, "../../proto/foxglove");
    const expected = generateFoxgloveProtos();
    const committed = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".proto"))
      .sort();
    expect(committed).toEqual([...expected.keys()].sort());
    for (const [name, text] of expected) expect(`${name}:\n${fs.readFileSync(path.join(dir, name), "utf8")}`).toBe(`${name}:\n${text}`);
    expect(expected.has("CompressedImage.proto")).toBe(true);
  });
});
