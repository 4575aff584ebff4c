import type { Command } from "commander";
import type { CliContext } from "./context";
import { BadInputError } from "../types/errors";
import { main } from "./main";

async function run(args: string[], commands?: ((program: Command, ctx: CliContext) => void)[]) {
  let out = "";
  let err = "";
  const code = await main(["node", "avfusion", ...args], { stdout: (s) => (out += s), stderr: (s) => (err += s) }, commands);
  return { code, out, err };
}

const failing = (error: Error) => (program: Command) => {
  program.command("boom").action(async () => {
    throw error;
  });
};

describe("main", () => {
  test("--help lists the commands and exits 0", async () => {
    const r = await run(["--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("inspect [options] <file>");
  });

  test("no arguments: usage on stderr, exit 2", async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("Usage: avfusion");
  });

  test("BadInputError from a command: one line, exit 2", async () => {
    const r = await run(
      ["boom"],
      [failing(new BadInputError({ where: "--rate", what: "", expected: "a positive number, got -1", code: "usage" }))],
    );
    expect(r).toEqual({ code: 2, out: "", err: "avfusion: --rate: expected a positive number, got -1\n" });
  });

  test("bad input from any stage (a BadInputError) is exit 2, its message on one line", async () => {
    const e = new BadInputError({ where: "config.yaml", what: "sync.deadlineMs -5\nmore", expected: "a number ≥ 0", code: "config" });
    const r = await run(["boom"], [failing(e)]);
    expect(r).toEqual({ code: 2, out: "", err: "avfusion: config.yaml: sync.deadlineMs -5 more, expected a number ≥ 0\n" });
  });

  test("only BadInputError is bad input: an ad-hoc error carrying exitCode = 2 is an internal failure", async () => {
    const e = Object.assign(new Error("something odd"), { exitCode: 2 });
    const r = await run(["boom"], [failing(e)]);
    expect(r).toEqual({ code: 1, out: "", err: "avfusion: internal error: something odd\n" });
  });

  test("any other error is an internal failure: exit 1, one line", async () => {
    const r = await run(["boom"], [failing(new TypeError("x is undefined"))]);
    expect(r).toEqual({ code: 1, out: "", err: "avfusion: internal error: x is undefined\n" });
  });

  test("a command sets a non-zero status through ctx.exitCode", async () => {
    const r = await run(
      ["half"],
      [
        (program, ctx) => {
          program.command("half").action(() => {
            ctx.exitCode = 3;
          });
        },
      ],
    );
    expect(r.code).toBe(3);
  });
});
