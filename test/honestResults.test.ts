import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { main } from "../src/cli/main";
import { planPipeline, type CatalogueTopic } from "../src/pipeline";
import { decodeProto, encodeProto } from "../src/schemas/protoRegistry";
import { buildRecording, type BuildOptions, type BuiltMessage } from "../src/sources/mcap/buildRecording";
import { readMessages, type ReadMessage } from "./simHelpers";

/**
 * Honest results (docs/pipeline.md, "What ends non-zero, what warns"): runs that produced nothing
 * end with exit 2 and one line, runs on a clock that ran backwards or jumped warn, damage is
 * reported as damage, and config mistakes that would lose or mislabel a sensor are errors naming
 * the field. The recordings are the default drive, rewritten inline.
 */

const DEFAULT = resolve(__dirname, "../recordings/default.mcap");
const dir = mkdtempSync(join(tmpdir(), "avfusion-honest-"));
const IMAGE = "/sensors/cam_front/image";

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(["node", "avfusion", ...args], { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

const replay = (file: string, ...more: string[]) => cli("replay", file, "--max", "--no-progress", ...more);
const avfusionLines = (err: string) => err.split("\n").filter((l) => l.startsWith("avfusion:") && !l.startsWith("avfusion: backend"));

let messages: ReadMessage[];
let schemas: NonNullable<BuildOptions["schemas"]>;

/** The default drive with its messages rewritten, as a file. */
async function rewrite(name: string, change: (m: ReadMessage, i: number) => BuiltMessage, options: BuildOptions = {}): Promise<string> {
  const file = join(dir, name);
  writeFileSync(file, await buildRecording(messages.map(change), { schemas, ...options }));
  return file;
}

beforeAll(async () => {
  ({ messages } = await readMessages(readFileSync(DEFAULT)));
  schemas = {};
  for (const m of messages) {
    schemas[m.topic] = { name: m.schemaName, encoding: m.schemaEncoding, messageEncoding: m.messageEncoding, data: m.schemaData };
  }
});

describe("replay: runs that produced nothing end with exit 2", () => {
  it("every payload garbage: one line saying nothing decoded, with the count and the last reason", async () => {
    const file = await rewrite("garbage.mcap", (m) => ({ ...m, data: new Uint8Array(m.data.length).fill(0xff) }));
    const r = await replay(file);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/decode: 0 ok, 342 errors/);
    expect(avfusionLines(r.err)).toEqual([
      expect.stringMatching(
        new RegExp(`^avfusion: ${file}: nothing decoded: 330 of 330 messages on the sensor topics failed to decode \\(last: /sensors/`),
      ),
    ]);
  });

  it("a file cut at 10 % reports the reader's damage, not a missing sensor or a config problem", async () => {
    const bytes = readFileSync(DEFAULT);
    const file = join(dir, "cut10.mcap");
    writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length * 0.1)));
    const r = await replay(file);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      new RegExp(
        `^avfusion: ${file}:\\d+: Chunk record declares \\d+ bytes but the file ends \\d+ bytes later, expected a complete record\\n$`,
      ),
    );
    expect(r.err).not.toMatch(/sensor|config/);
  });
});

describe("replay: a clock that runs backwards or jumps is a warning (exit 0)", () => {
  const first = () => messages[0]!.logTime;
  const last = () => messages[messages.length - 1]!.logTime;

  it("log times reversed (indexed: read in log-time order, so the sensor clocks run backwards)", async () => {
    const file = await rewrite("reversed.mcap", (m) => ({ ...m, logTime: first() + last() - m.logTime, publishTime: undefined }));
    const r = await replay(file);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ticks: 1 over 0\.0 s/m);
    expect(r.err).toMatch(
      /^avfusion: warning: radar_front: sensor clock runs backwards: 115 of 120 frames were stamped more than 200 ms before a frame already seen, and dropped$/m,
    );
  });

  it("log times reversed in a file read in file order: the first message and the count", async () => {
    const file = await rewrite("reversed-streamed.mcap", (m) => ({ ...m, logTime: first() + last() - m.logTime, publishTime: undefined }), {
      index: false,
    });
    const r = await replay(file);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(
      /^avfusion: warning: log time runs backwards: 332 of 402 messages are more than 1 s older than one read before them, first message 70 \(\/sensors\/radar_front\/scan @ \d+ ns\), 1\.0 s back$/m,
    );
  });

  it("a +1 h jump half way: where, by how much, and that the ticks run across it", async () => {
    const half = messages.length / 2;
    const file = await rewrite("jump.mcap", (m, i) => ({
      ...m,
      logTime: i >= half ? m.logTime + 3_600_000_000_000n : m.logTime,
      publishTime: undefined,
    }));
    const r = await replay(file);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(
      /^avfusion: warning: log time jumps ahead 1 time\(s\) by more than 10 s with no message on any topic: first 3600\.0 s at message 201 \(\/tf @ \d+ ns\); the ticks and the span run across the gap$/m,
    );
    expect(r.err).toMatch(/^avfusion: warning: sync: \d+ ticks skipped where the clock jumped further than 1000 ticks at once$/m);
  });

  it("one log time near 2^64", async () => {
    const file = await rewrite("huge.mcap", (m, i) => ({
      ...m,
      logTime: i === 200 ? 2n ** 64n - 1000n : m.logTime,
      publishTime: undefined,
    }));
    const r = await replay(file);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^avfusion: warning: log time jumps ahead 1 time\(s\) .* at message 401 \(\S+ @ 18446744073709550616 ns\)/m);
  });

  it("a clean drive warns of nothing", async () => {
    const r = await replay(DEFAULT);
    expect(r.code).toBe(0);
    expect(avfusionLines(r.err)).toEqual([]);
  });
});

describe("replay: repeated failures are counted and said once", () => {
  it("a JPEG that fails on every frame: its reason once, with the count", async () => {
    // A JPEG header (SOI, APP0 JFIF) and the end marker, nothing between: the decoder accepts it, the image decoder cannot.
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xff, 0xd9]);
    const file = await rewrite("bad-jpeg.mcap", (m) =>
      m.topic !== IMAGE
        ? m
        : {
            ...m,
            data: encodeProto("foxglove.CompressedImage", { ...decodeProto<object>("foxglove.CompressedImage", m.data), data: jpeg }),
          },
    );
    const r = await replay(file);
    expect(r.code).toBe(0);
    const jpegLines = r.err.split("\n").filter((l) => l.includes("cannot decode jpeg"));
    expect(jpegLines).toEqual([
      expect.stringMatching(/^avfusion: cam_front: no evidence in 60 ticks: first: camera frame on \/sensors\/cam_front\/image /),
    ]);
  });
});

describe("config mistakes that would lose or mislabel a sensor are errors naming the field", () => {
  const config = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it.each([
    [
      "a radar topic forced to role camera",
      "topics:\n  /sensors/radar_front/scan: { role: camera }\n",
      `topics./sensors/radar_front/scan.role: "camera" contradicts the topic's schema, which carries radar, expected "radar" or no role`,
    ],
    [
      "two topics given one sensorId",
      `topics:\n  /sensors/lidar_top/points: { sensorId: front }\n  ${IMAGE}: { sensorId: front }\n`,
      `topics.${IMAGE}.sensorId: "front" is already the sensorId of /sensors/lidar_top/points, expected a sensor id no other topic has`,
    ],
    [
      "a LiDAR given the camera's derived id",
      "topics:\n  /sensors/lidar_top/points: { sensorId: cam_front }\n",
      `topics./sensors/lidar_top/points.sensorId: /sensors/lidar_top/points (lidar) and ${IMAGE} (camera) are both sensor "cam_front", ` +
        "expected a sensorId of its own for each sensor topic (or `ignore` for one of them)",
    ],
  ])("%s", async (_, text, message) => {
    const file = config(`${text.length}.yaml`, text);
    const r = await replay(DEFAULT, "--config", file);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`avfusion: ${file}: ${message}\n`);
  });

  it("--rate outside 1e-3..1e3 is a usage error, before any timer can overflow", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    try {
      for (const args of [
        ["replay", DEFAULT, "--rate", "1e-9", "--no-progress"],
        ["replay", DEFAULT, "--rate", "1e6", "--no-progress"],
        ["play", DEFAULT, "--serve", "0", "--no-wait", "--rate", "1e-9", "--duration", "5"],
      ]) {
        const r = await cli(...args);
        expect(r.code).toBe(2);
        expect(r.err).toBe(`avfusion: --rate ${args[args.indexOf("--rate") + 1]}: expected a real-time factor from 0.001 to 1000\n`);
      }
      await new Promise((done) => setImmediate(done));
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings).not.toContain("TimeoutOverflowWarning");
  });
});

describe("planPipeline: topics that would merge into one sensor", () => {
  const topic = (t: string, sensor: CatalogueTopic["sensor"], sensorId: string): CatalogueTopic => ({
    topic: t,
    sensor,
    sensorId,
    supported: true,
    rateHz: 10,
  });

  it("merges a camera's raw and compressed images named after it", () => {
    const plan = planPipeline({ topics: [topic("/cam/image", "camera", "cam"), topic("/cam/image/compressed", "camera", "cam")] });
    expect(plan.sensors.map((s) => [s.sensorId, s.kind, s.topics])).toEqual([["cam", "camera", ["/cam/image", "/cam/image/compressed"]]]);
  });

  it("refuses two kinds under one derived id, and any topic the config gave an id already taken", () => {
    expect(() => planPipeline({ topics: [topic("/front/image", "camera", "front"), topic("/front/points", "lidar", "front")] })).toThrow(
      /^topics\.\/front\/points\.sensorId: \/front\/points \(lidar\) and \/front\/image \(camera\) are both sensor "front"/,
    );
    const config = { topics: { "/a/image": { sensorId: "cam" } } };
    expect(() => planPipeline({ topics: [topic("/a/image", "camera", "cam"), topic("/cam/image", "camera", "cam")] }, { config })).toThrow(
      /^topics\.\/a\/image\.sensorId: \/cam\/image \(camera\) and \/a\/image \(camera\) are both sensor "cam"/,
    );
  });
});
