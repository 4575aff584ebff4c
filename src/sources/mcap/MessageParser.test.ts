import { McapRecordBuilder } from "@mcap/core";
import { BufferReadable } from "./BufferReadable";
import { MAX_ERROR_LINES } from "./MessageParser";
import { createDiagnostics, readMessageBatches } from "./readRecording";

/** An unindexed file built record by record, so malformed content can be written on purpose. */
function rawFile(write: (b: McapRecordBuilder) => void): Uint8Array {
  const b = new McapRecordBuilder();
  b.writeMagic();
  b.writeHeader({ profile: "", library: "test" });
  write(b);
  b.writeDataEnd({ dataSectionCrc: 0 });
  b.writeFooter({ summaryStart: 0n, summaryOffsetStart: 0n, summaryCrc: 0 });
  b.writeMagic();
  return b.buffer.slice();
}

async function readAll(bytes: Uint8Array) {
  const diagnostics = createDiagnostics();
  const got: bigint[] = [];
  for await (const batch of readMessageBatches(new BufferReadable(bytes, "raw.mcap"), { diagnostics }))
    got.push(...batch.map((m) => m.logTime));
  return { got, diagnostics };
}

const channel = (id: number, schemaId = 0) => ({
  id,
  schemaId,
  topic: `/t${id}`,
  messageEncoding: "json",
  metadata: new Map<string, string>(),
});
const message = (channelId: number, logTime: bigint) => ({
  channelId,
  sequence: 0,
  logTime,
  publishTime: logTime,
  data: new Uint8Array([1, 2]),
});

describe("MessageParser: malformed messages are counted and skipped", () => {
  test("messages on an undeclared channel: skipped, one error line for the channel", async () => {
    const bytes = rawFile((b) => {
      b.writeChannel(channel(1));
      b.writeMessage(message(1, 10n));
      b.writeMessage(message(7, 11n));
      b.writeMessage(message(7, 12n));
      b.writeMessage(message(1, 13n));
    });
    const { got, diagnostics } = await readAll(bytes);
    expect(got).toEqual([10n, 13n]);
    expect(diagnostics.messagesRead).toBe(4);
    expect(diagnostics.messagesSkipped).toBe(2);
    expect(diagnostics.errors).toHaveLength(1);
    expect(diagnostics.errors[0]).toMatch(
      /^raw\.mcap:\d+: Message on channel 7, expected a Channel record for it first; its messages are skipped$/,
    );
    expect(diagnostics.damage).toBeUndefined();
  });

  test("a channel whose schema was never written: its messages are skipped", async () => {
    const bytes = rawFile((b) => {
      b.writeChannel(channel(1, 5));
      b.writeChannel(channel(2));
      b.writeMessage(message(1, 1n));
      b.writeMessage(message(2, 2n));
    });
    const { got, diagnostics } = await readAll(bytes);
    expect(got).toEqual([2n]);
    expect(diagnostics.messagesSkipped).toBe(1);
    expect(diagnostics.errors[0]).toMatch(/channel 1 \(\/t1\) refers to schema 5, expected a Schema record before it/);
  });

  test("error lines are capped, the count is not", async () => {
    const bytes = rawFile((b) => {
      for (let i = 0; i < MAX_ERROR_LINES + 50; i++) b.writeChannel(channel(i + 1, 999));
    });
    const { diagnostics } = await readAll(bytes);
    expect(diagnostics.errors).toHaveLength(MAX_ERROR_LINES);
    expect(diagnostics.errorCount).toBe(MAX_ERROR_LINES + 50);
  });
});
