import { foxgloveEnumSchemas, foxgloveMessageSchemas, generateProto } from "@foxglove/schemas/internal";

/**
 * The `proto/foxglove/*.proto` files as `@foxglove/schemas` generates them, keyed by file name
 * (`CompressedImage.proto`). Types with a protobuf equivalent (Timestamp, Duration) are skipped:
 * they come from google/protobuf. Pure, so a test can check the committed files do not drift.
 */
export function generateFoxgloveProtos(): Map<string, string> {
  const out = new Map<string, string>();
  const names = Object.keys(foxgloveMessageSchemas).sort();
  for (const key of names) {
    const schema = foxgloveMessageSchemas[key as keyof typeof foxgloveMessageSchemas];
    if (schema.protoEquivalent != undefined) continue;
    const enums = Object.values(foxgloveEnumSchemas).filter((e) => e.parentSchemaName === schema.name);
    out.set(`${schema.name}.proto`, generateProto(schema, enums));
  }
  return out;
}
