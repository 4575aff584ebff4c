import * as protobuf from "protobufjs";
import "protobufjs/ext/descriptor";
import { protoRoot } from "../schemas/protoRegistry";
import type { SensorMessage } from "../types";
import { BadInputError } from "../types/errors";
import type { Fields } from "./common";

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0]!;
}

/** A protobuf type from the recording's own FileDescriptorSet. */
export function protobufReader(msg: SensorMessage, fallback: boolean): (data: Uint8Array) => Fields {
  const toObject =
    (type: protobuf.Type) =>
    (data: Uint8Array): Fields => {
      let decoded: protobuf.Message;
      try {
        decoded = type.decode(data);
      } catch (err) {
        throw new BadInputError({
          where: "",
          what: `${data.length} bytes do not decode as protobuf ${msg.schemaName} (${firstLine(err)})`,
        });
      }
      return type.toObject(decoded, { longs: String, defaults: true, arrays: true }) as Fields;
    };
  if (msg.schemaData.length === 0) {
    if (!fallback)
      throw new BadInputError({ where: "", what: "channel has no schema data", expected: `a FileDescriptorSet for ${msg.schemaName}` });
    const type = protoRoot().lookupType(msg.schemaName);
    return toObject(type);
  }
  let root: protobuf.Root;
  try {
    root = protobuf.Root.fromDescriptor(msg.schemaData, { keepCase: true });
    root.resolveAll();
  } catch (err) {
    throw new BadInputError({
      where: "",
      what: `schema data (${msg.schemaData.length} bytes) is not a valid FileDescriptorSet for ${msg.schemaName} (${firstLine(err)})`,
    });
  }
  let type: protobuf.Type;
  try {
    type = root.lookupType(msg.schemaName);
  } catch {
    throw new BadInputError({ where: "", what: `schema data does not define ${msg.schemaName}`, expected: "its FileDescriptorSet" });
  }
  return toObject(type);
}
