import * as fs from "fs";
import * as path from "path";
import * as protobuf from "protobufjs";
import * as descriptor from "protobufjs/ext/descriptor";

/**
 * Our protobuf schemas (proto/avfusion, proto/foxglove, google/protobuf well-known types), loaded
 * once from disk. Field names keep their .proto spelling (`frame_id`, not `frameId`): objects given
 * to `encodeProto` and returned by `decodeProto` use snake_case keys.
 *
 * `proto/` is searched upwards from this file, so the same code works from src/schemas and from a
 * compiled dist/ tree (dist/src/schemas or dist/schemas).
 */

let cachedRoot: protobuf.Root | undefined;
let cachedProtoDir: string | undefined;

/** The directory holding `avfusion/` and `foxglove/` .proto files. */
export function protoDir(): string {
  if (cachedProtoDir != undefined) return cachedProtoDir;
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, "proto");
    if (fs.existsSync(path.join(candidate, "avfusion")) && fs.existsSync(path.join(candidate, "foxglove"))) {
      cachedProtoDir = candidate;
      return candidate;
    }
    dir = path.dirname(dir);
  }
  throw new Error(`protoRegistry: no proto/ directory with avfusion/ and foxglove/ found above ${__dirname}`);
}

function listProtoFiles(dir: string): string[] {
  const out: string[] = [];
  for (const sub of ["avfusion", "foxglove"]) {
    const abs = path.join(dir, sub);
    for (const name of fs.readdirSync(abs).sort()) {
      if (name.endsWith(".proto")) out.push(`${sub}/${name}`);
    }
  }
  return out;
}

/** All our schemas in one resolved Root (loaded once). */
export function protoRoot(): protobuf.Root {
  if (cachedRoot) return cachedRoot;
  const dir = protoDir();
  const root = new protobuf.Root();
  // Imports are written relative to proto/ ("avfusion/common.proto"); well-known google types are
  // built into protobufjs (`protobuf.common`), so they are never looked up on disk.
  root.resolvePath = (_origin: string, target: string): string | null => {
    if (target.startsWith("google/protobuf/")) return target;
    return path.isAbsolute(target) ? target : path.join(dir, target);
  };
  root.loadSync(listProtoFiles(dir), { keepCase: true });
  root.resolveAll();
  cachedRoot = root;
  return root;
}

function lookupType(typeName: string): protobuf.Type {
  const name = typeName.startsWith(".") ? typeName.slice(1) : typeName;
  let type: protobuf.Type;
  try {
    type = protoRoot().lookupType(name);
  } catch {
    throw new Error(`protoRegistry: unknown protobuf type "${typeName}" (expected e.g. avfusion.RadarScan, foxglove.RawImage)`);
  }
  return type;
}

/** Keys that are not fields of the type, found recursively; fromObject would drop them silently. */
function unknownKeys(type: protobuf.Type, obj: unknown, at: string, out: string[]): void {
  if (obj == null || typeof obj !== "object" || ArrayBuffer.isView(obj)) return;
  for (const [key, value] of Object.entries(obj)) {
    const field = type.fields[key];
    if (!field) {
      out.push(`${at}${key}`);
      continue;
    }
    if (field.resolvedType instanceof protobuf.Type) {
      const values = Array.isArray(value) ? value : [value];
      values.forEach((v, i) =>
        unknownKeys(field.resolvedType as protobuf.Type, v, `${at}${key}${Array.isArray(value) ? `[${i}]` : ""}.`, out),
      );
    }
  }
}

/** protobufjs's Long.fromValue silently reads a bigint as 0; decimal strings it parses exactly. */
function bigintsToStrings(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value == null || typeof value !== "object" || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value))
    return value.some((v) => typeof v === "bigint" || (v != null && typeof v === "object")) ? value.map(bigintsToStrings) : value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = bigintsToStrings(v);
  return out;
}

/**
 * Encode a plain object with snake_case keys as in the .proto (`frame_id`); enums by name or number,
 * 64-bit integers as number, bigint or decimal string, bytes as Uint8Array. Unknown keys throw.
 */
export function encodeProto(typeName: string, obj: object): Uint8Array {
  const type = lookupType(typeName);
  const unknown: string[] = [];
  unknownKeys(type, obj, "", unknown);
  if (unknown.length > 0) {
    throw new Error(
      `encodeProto ${typeName}: unknown field(s) ${unknown.slice(0, 5).join(", ")} (expected the .proto field names, snake_case)`,
    );
  }
  const message = type.fromObject(bigintsToStrings(obj) as Record<string, unknown>);
  return type.encode(message).finish();
}

/**
 * Decode bytes into a plain object: snake_case keys, enums as numbers, 64-bit integers as numbers
 * (as `Number`, exact up to 2^53), bytes as Uint8Array, defaults filled in.
 */
export function decodeProto<T>(typeName: string, bytes: Uint8Array): T {
  const type = lookupType(typeName);
  const message = type.decode(bytes);
  return type.toObject(message, { longs: Number, defaults: true, arrays: true }) as T;
}

type FieldDescriptorLike = { name?: string | null; typeName?: string | null };
type DescriptorProtoLike = { name?: string | null; field?: FieldDescriptorLike[]; nestedType?: DescriptorProtoLike[] };

/** protobufjs writes type names relative to the scope; protoc writes them fully qualified (".pkg.Type"). */
function qualifyTypeNames(type: protobuf.Type, desc: DescriptorProtoLike): void {
  for (const fd of desc.field ?? []) {
    const field = type.fields[fd.name ?? ""];
    if (field?.resolvedType && !(field instanceof protobuf.MapField)) fd.typeName = field.resolvedType.fullName;
  }
  for (const nd of desc.nestedType ?? []) {
    const nested = type.nested?.[nd.name ?? ""];
    if (nested instanceof protobuf.Type) qualifyTypeNames(nested, nd);
  }
}

function fileOf(obj: protobuf.ReflectionObject, dir: string): string {
  const fn = obj.filename;
  if (fn == null) {
    // Only protobufjs's built-in well-known types have no file; they live in google/protobuf/<name>.proto.
    const name = obj.fullName.replace(/^\.google\.protobuf\./, "");
    return `google/protobuf/${name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase()}.proto`;
  }
  return path.isAbsolute(fn) ? path.relative(dir, fn).split(path.sep).join("/") : fn;
}

type FileEntry = { pkg: string; items: protobuf.ReflectionObject[]; deps: Set<string> };
let fileIndex: Map<string, FileEntry> | undefined;

/** The top-level declaration (package-scoped) holding a possibly nested type or enum. */
function topLevel(obj: protobuf.ReflectionObject): protobuf.ReflectionObject {
  let owner = obj;
  while (owner.parent && owner.parent instanceof protobuf.Type) owner = owner.parent;
  return owner;
}

/** Every top-level type and enum of the root, grouped by the file declaring it, with each file's imports. */
function buildFileIndex(): Map<string, FileEntry> {
  if (fileIndex) return fileIndex;
  const dir = protoDir();
  const index = new Map<string, FileEntry>();
  const collect = (ns: protobuf.NamespaceBase): void => {
    for (const nested of ns.nestedArray) {
      if (nested instanceof protobuf.Type || nested instanceof protobuf.Enum) {
        const file = fileOf(nested, dir);
        let entry = index.get(file);
        if (!entry) {
          entry = { pkg: ns.fullName.replace(/^\./, ""), items: [], deps: new Set() };
          index.set(file, entry);
        }
        entry.items.push(nested);
      } else if (nested instanceof protobuf.Namespace) {
        collect(nested);
      }
    }
  };
  collect(protoRoot());
  for (const [file, entry] of index) {
    const walk = (t: protobuf.Type): void => {
      for (const field of t.fieldsArray) {
        if (!field.resolvedType) continue;
        const depFile = fileOf(topLevel(field.resolvedType), dir);
        if (depFile !== file) entry.deps.add(depFile);
      }
      for (const nested of t.nestedArray) if (nested instanceof protobuf.Type) walk(nested);
    };
    for (const item of entry.items) if (item instanceof protobuf.Type) walk(item);
  }
  fileIndex = index;
  return index;
}

const fdsCache = new Map<string, Uint8Array>();

/**
 * A serialized google.protobuf.FileDescriptorSet with the file defining `typeName` and all its
 * transitive dependencies (dependencies first, names relative to proto/, type names fully
 * qualified), as MCAP's `protobuf` schema encoding expects.
 */
export function fileDescriptorSet(typeName: string): Uint8Array {
  const cached = fdsCache.get(typeName);
  if (cached) return cached;
  const index = buildFileIndex();
  const topFile = fileOf(topLevel(lookupType(typeName)), protoDir());

  const ordered: string[] = [];
  const place = (file: string): void => {
    if (ordered.includes(file)) return;
    const entry = index.get(file);
    if (!entry) throw new Error(`protoRegistry: ${typeName} depends on ${file}, which declares no types`);
    for (const dep of [...entry.deps].sort()) place(dep);
    ordered.push(file);
  };
  place(topFile);

  const set = descriptor.FileDescriptorSet.create();
  for (const file of ordered) {
    const entry = index.get(file)!;
    const fdp = descriptor.FileDescriptorProto.create({
      name: file,
      package: entry.pkg,
      dependency: [...entry.deps].sort(),
      syntax: "proto3",
    });
    for (const item of entry.items) {
      if (item instanceof protobuf.Type) {
        const d = item.toDescriptor("proto3");
        qualifyTypeNames(item, d);
        fdp.messageType.push(d);
      } else if (item instanceof protobuf.Enum) {
        fdp.enumType.push(item.toDescriptor());
      }
    }
    set.file.push(fdp);
  }
  const bytes = descriptor.FileDescriptorSet.encode(set).finish();
  fdsCache.set(typeName, bytes);
  return bytes;
}

/** The names of all message types we can encode, e.g. for a CLI listing. */
export function knownTypeNames(): string[] {
  const out: string[] = [];
  const walk = (ns: protobuf.NamespaceBase): void => {
    for (const nested of ns.nestedArray) {
      if (nested instanceof protobuf.Type) out.push(nested.fullName.slice(1));
      if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) walk(nested);
    }
  };
  walk(protoRoot());
  return out.sort();
}
