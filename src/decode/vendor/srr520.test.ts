import { BadInputError } from "../../types/errors";
import { SRR520_CAN_ID, Srr520Assembler, splitSrr520Frame, srr520Crc } from "./srr520";
import { srr520DetectionsToFrame } from "./srr520Frames";

function frame(canId: number, payload: Uint8Array): { stamp: bigint; data: Uint8Array } {
  const data = new Uint8Array(4 + payload.byteLength);
  new DataView(data.buffer).setUint32(0, canId);
  data.set(payload, 4);
  return { stamp: 77n, data };
}

/** A near-range list header (32 bytes) announcing `count` detections, radar time 100 s + 5 ns. */
function nearHeader(count: number, sync = 1): Uint8Array {
  const p = new Uint8Array(32);
  const v = new DataView(p.buffer);
  v.setUint32(4, 100);
  v.setUint32(8, 5);
  p[12] = sync;
  v.setUint16(19, 32768); // v_ambiguous ≈ 0
  v.setUint16(21, 413); // max range 41.3 m
  v.setUint16(23, count);
  return p;
}

/** One 6-byte detection fragment: raw range 400 (9.77 m), azimuth raw 255 (≈0 rad), rate raw 1023. */
function fragment(): number[] {
  const uRange = 400;
  const uAz = 255;
  const uRate = 1023;
  const uRcs = 84; // 0 dBsm
  return [uRange >> 4, ((uRange & 0x0f) << 4) | (uAz >> 5), ((uAz & 0x1f) << 3) | (uRate >> 8), uRate & 0xff, (uRcs << 1) | 1, 0x43];
}

function nearList(count: number, sync = 1): { stamp: bigint; data: Uint8Array }[] {
  const header = nearHeader(count, sync);
  const elements = Array.from({ length: 50 }, (_, i) => {
    const p = new Uint8Array(64);
    if (i === 0) p.set([...fragment(), ...fragment()]);
    return p;
  });
  const crc = srr520Crc([header, ...elements]);
  return [
    frame(SRR520_CAN_ID.nearHeader, header),
    ...elements.map((e) => frame(SRR520_CAN_ID.nearElement, e)),
    frame(SRR520_CAN_ID.crcList, new Uint8Array([0, crc >> 8, crc & 0xff, 0])),
  ];
}

function pushAll(asm: Srr520Assembler, frames: { stamp: bigint; data: Uint8Array }[]) {
  return frames.map((f) => asm.push(f)).filter((l) => l !== undefined);
}

describe("Srr520Assembler", () => {
  it("emits a near-range list once its CRC list arrives, with scaled fields", () => {
    const lists = pushAll(new Srr520Assembler(), nearList(2));
    expect(lists).toHaveLength(1);
    const list = lists[0]!;
    if (list.type !== "nearDetectionList") throw new Error(list.type);
    expect(list.globalStamp).toBe(100_000_000_005n);
    expect(list.maxRange).toBeCloseTo(41.3, 6);
    expect(list.detections).toHaveLength(2);
    const d = list.detections[0]!;
    expect(d.range).toBeCloseTo(400 * 0.024420024, 9);
    expect(d.azimuthAngle).toBeCloseTo(255 * 0.006159986 - 1.570796327, 9);
    expect(d.rangeRate).toBeCloseTo(1023 * 0.014662757 - 15, 9);
    expect(d.rcs).toBeCloseTo(0, 5);
    expect(d.pdh00).toBe(100);
    expect(d.pdh02).toBe(100);
    expect(d.snr).toBeCloseTo(1.7 * 3 + 11, 9);
    const radar = srr520DetectionsToFrame(list, { sensorId: "r", topic: "t", frameId: "srr", receivedAt: 1n });
    expect(radar.stamp).toBe(100_000_000_005n);
    expect(radar.detections[0]!.existenceProbability).toBe(0);
  });

  it("falls back to the receive stamp when the radar is not synchronised", () => {
    const list = pushAll(new Srr520Assembler(), nearList(1, 2))[0]!;
    if (list.type !== "nearDetectionList") throw new Error(list.type);
    expect(srr520DetectionsToFrame(list, { sensorId: "r", topic: "t", frameId: "srr", receivedAt: 1n }).stamp).toBe(77n);
  });

  it("drops a list whose CRC does not match, with both values in the message", () => {
    const frames = nearList(2);
    frames[3]!.data[10] ^= 0xff;
    const asm = new Srr520Assembler();
    const errors: string[] = [];
    for (const f of frames) {
      try {
        asm.push(f);
      } catch (err) {
        if (!(err instanceof BadInputError && err.code === "packet")) throw err;
        errors.push(err.message);
      }
    }
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^SRR520 near list: CRC 0x[0-9a-f]+ at offset 5 of the CRC list, expected 0x[0-9a-f]+ computed over its frames$/,
    );
  });

  it("rejects a list with missing elements when its CRC list arrives", () => {
    const frames = nearList(2);
    frames.splice(10, 1);
    const asm = new Srr520Assembler();
    expect(() => pushAll(asm, frames)).toThrow("SRR520 near list: 49 element frames before the CRC list, expected 50");
  });

  it("ignores elements and CRC lists of a list whose header it never saw", () => {
    expect(pushAll(new Srr520Assembler(), nearList(2).slice(1))).toEqual([]);
  });

  it("rejects unknown CAN ids, wrong payload sizes and a count beyond 500", () => {
    expect(() => splitSrr520Frame(frame(1234, new Uint8Array(8)).data)).toThrow(/^SRR520: CAN id 1234 at offset 0, expected one of /);
    expect(() => splitSrr520Frame(frame(901, new Uint8Array(20)).data)).toThrow("SRR520 CAN id 901: payload is 20 bytes, expected 64");
    expect(() => splitSrr520Frame(new Uint8Array(2))).toThrow("SRR520: frame is 2 bytes, expected a 4-byte CAN id and a payload");
    expect(() => pushAll(new Srr520Assembler(), nearList(501))).toThrow(
      "SRR520 near list: number of detections 501 at offset 27, expected at most 500",
    );
  });

  it("CRC is CRC-16/CCITT-FALSE", () => {
    expect(srr520Crc([new TextEncoder().encode("123456789")])).toBe(0x29b1);
  });
});
