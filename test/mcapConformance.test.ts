import fs from "node:fs";
import path from "node:path";
import type { TypedMcapRecord } from "@mcap/core";
import { main } from "../src/cli/main";
import { BufferReadable } from "../src/sources/mcap/BufferReadable";
import { createDiagnostics, readMessageBatches } from "../src/sources/mcap/readRecording";
import { streamRecords } from "../src/sources/mcap/streamRecords";

/**
 * The MCAP conformance suite (../shared/data/mcap-conformance, 416 files): the streamed read gives
 * exactly the expected records, `inspect --json` counts match the expected Message records, and
 * for indexed variants (ch+mx+chx+rch+rsh with messages) the indexed read gives the messages in
 * log-time order. Field conventions are those of the suite's README.
 */
const DATA = path.resolve(__dirname, "../../shared/data/mcap-conformance");
const present = fs.existsSync(DATA);
if (!present) console.warn(`mcapConformance: skipped, ${DATA} is absent`);
const maybe = present ? describe : describe.skip;

type Json = string | Json[] | { [k: string]: Json };
type ExpectedRecord = { type: string; fields: [string, Json][] };
type Expected = { records: ExpectedRecord[]; meta: { variant: { features: string[] } } };

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function toJson(value: unknown): Json {
  if (typeof value === "bigint" || typeof value === "number") return String(value);
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return Array.from(value, (b) => String(b));
  if (value instanceof Map) {
    const obj: { [k: string]: Json } = {};
    for (const [k, v] of value) obj[String(k)] = toJson(v);
    return obj;
  }
  if (Array.isArray(value)) return value.map(toJson);
  throw new Error(`unexpected field value ${String(value)}`);
}

function recordToExpected(record: TypedMcapRecord): ExpectedRecord {
  const fields = Object.entries(record)
    .filter(([k]) => k !== "type")
    .map(([k, v]): [string, Json] => [snake(k), toJson(v)])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { type: record.type, fields };
}

const FOLDERS = ["NoData", "OneAttachment", "OneMessage", "OneMetadata", "OneSchemalessMessage", "TenMessages"];
const EXPECTED_COUNTS: Record<string, number> = {
  NoData: 6,
  OneAttachment: 14,
  OneMessage: 154,
  OneMetadata: 14,
  OneSchemalessMessage: 74,
  TenMessages: 154,
};

function filesOf(folder: string): string[] {
  return fs
    .readdirSync(path.join(DATA, folder))
    .filter((f) => f.endsWith(".mcap"))
    .sort()
    .map((f) => path.join(DATA, folder, f));
}

function field(rec: ExpectedRecord, name: string): Json {
  const f = rec.fields.find(([k]) => k === name);
  if (!f) throw new Error(`expected field ${name} in ${rec.type}`);
  return f[1];
}

maybe("MCAP conformance suite", () => {
  test("has all 416 files", () => {
    const total = FOLDERS.reduce((n, f) => n + filesOf(f).length, 0);
    expect(total).toBe(416);
    for (const f of FOLDERS) expect(filesOf(f)).toHaveLength(EXPECTED_COUNTS[f]);
  });

  test.each(FOLDERS)("%s: streamed read yields exactly the expected records", async (folder) => {
    for (const file of filesOf(folder)) {
      const expected = JSON.parse(fs.readFileSync(file.replace(/\.mcap$/, ".json"), "utf8")) as Expected;
      const source = new BufferReadable(fs.readFileSync(file), file);
      const got: ExpectedRecord[] = [];
      for await (const r of streamRecords(source, { validateCrcs: true })) {
        if (r.type !== "MessageIndex") got.push(recordToExpected(r));
      }
      expect({ file, records: got }).toEqual({ file, records: expected.records });
      // The smallest read size (one record header) must give the same records.
      const tiny: ExpectedRecord[] = [];
      for await (const r of streamRecords(source, { validateCrcs: true, blockSize: 9 })) {
        if (r.type !== "MessageIndex") tiny.push(recordToExpected(r));
      }
      expect({ file, records: tiny }).toEqual({ file, records: expected.records });
    }
  });

  test.each(FOLDERS)("%s: inspect --json message counts per channel match", async (folder) => {
    for (const file of filesOf(folder)) {
      const expected = JSON.parse(fs.readFileSync(file.replace(/\.mcap$/, ".json"), "utf8")) as Expected;
      const want = new Map<number, number>();
      for (const r of expected.records) {
        if (r.type === "Channel" && !want.has(Number(field(r, "id")))) want.set(Number(field(r, "id")), 0);
      }
      let total = 0;
      for (const r of expected.records) {
        if (r.type !== "Message") continue;
        const id = Number(field(r, "channel_id"));
        want.set(id, (want.get(id) ?? 0) + 1);
        total++;
      }
      let out = "";
      let err = "";
      const code = await main(["node", "avfusion", "inspect", "--json", file], {
        stdout: (s) => (out += s),
        stderr: (s) => (err += s),
      });
      expect({ file, code, err }).toEqual({ file, code: 0, err: "" });
      const json = JSON.parse(out) as { messageCount: number; topics: { channelId: number; messageCount: number }[] };
      const got = new Map(json.topics.map((t) => [t.channelId, t.messageCount]));
      expect({ file, total: json.messageCount, counts: [...got] }).toEqual({ file, total, counts: [...want] });
    }
  });

  test("indexed variants: indexed read yields the messages in log-time order", async () => {
    let indexedFiles = 0;
    let ourIndexed = 0;
    for (const folder of FOLDERS) {
      for (const file of filesOf(folder)) {
        const expected = JSON.parse(fs.readFileSync(file.replace(/\.mcap$/, ".json"), "utf8")) as Expected;
        const features = new Set(expected.meta.variant.features);
        const messages = expected.records.filter((r) => r.type === "Message");
        // Upstream's indexed runner takes ch+mx+chx+rch+rsh with messages (16 files); a schemaless
        // channel needs no repeated schema, so those variants without rsh are fully indexed too.
        const upstreamIndexed = ["ch", "mx", "chx", "rch", "rsh"].every((f) => features.has(f)) && messages.length > 0;
        const isIndexedVariant =
          ["ch", "mx", "chx", "rch"].every((f) => features.has(f)) &&
          (features.has("rsh") || folder === "OneSchemalessMessage") &&
          messages.length > 0;
        const diagnostics = createDiagnostics();
        const source = new BufferReadable(fs.readFileSync(file), file);
        const got: ExpectedRecord[] = [];
        for await (const batch of readMessageBatches(source, { diagnostics })) {
          for (const m of batch) {
            got.push(
              recordToExpected({
                type: "Message",
                channelId: m.channelId,
                sequence: m.sequence,
                logTime: m.logTime,
                publishTime: m.publishTime,
                data: m.data,
              }),
            );
          }
        }
        // Auto access picks the index exactly for the indexed variants (the others read streamed).
        expect({ file, access: diagnostics.access }).toEqual({ file, access: isIndexedVariant ? "indexed" : "streamed" });
        const want = isIndexedVariant
          ? messages
              .map((r, i) => ({ r, i, t: BigInt(field(r, "log_time") as string) }))
              .sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : a.i - b.i))
              .map((x) => x.r)
          : messages;
        expect({ file, messages: got }).toEqual({ file, messages: want });
        if (upstreamIndexed) indexedFiles++;
        if (isIndexedVariant) ourIndexed++;
      }
    }
    expect(indexedFiles).toBe(16);
    expect(ourIndexed).toBe(24);
  });
});
