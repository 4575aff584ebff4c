import { existsSync, readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { BadInputError } from "../types/errors";
import { inputFile, shownError } from "./stdinFile";

describe("a recording argument of -", () => {
  it("copies stdin to a temporary file, names it - in messages, and removes it", async () => {
    const bytes = Buffer.from("\x89MCAP0\r\n and more");
    const input = await inputFile("-", Readable.from([bytes.subarray(0, 4), bytes.subarray(4)]));
    expect(readFileSync(input.path)).toEqual(bytes);
    expect(input.shown(`${input.path}:0: not an MCAP file`)).toBe("-:0: not an MCAP file");
    const err = shownError(new BadInputError({ where: `${input.path}:8`, what: "truncated", code: "truncated" }), input);
    expect(err).toMatchObject({ message: "-:8: truncated", code: "truncated" });
    await input.dispose();
    expect(existsSync(input.path)).toBe(false);
  });

  it("refuses a terminal as stdin (usage), and leaves a file name alone", async () => {
    const tty = Object.assign(Readable.from([]), { isTTY: true });
    await expect(inputFile("-", tty)).rejects.toMatchObject({
      code: "usage",
      message: "-: stdin is a terminal, expected an MCAP recording piped in",
    });
    const plain = await inputFile("drive.mcap");
    expect(plain.path).toBe("drive.mcap");
    expect(plain.shown("drive.mcap: x")).toBe("drive.mcap: x");
  });
});
