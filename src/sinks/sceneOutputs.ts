import { Writable } from "node:stream";
import { toSceneJson } from "./sceneJson";
import { toSceneProto } from "./sceneProto";
import { encodeProto } from "../schemas/protoRegistry";
import { JsonLinesSink, stringifyLine } from "./jsonl/JsonLinesSink";
import { FileWritable } from "./mcap/FileWritable";
import { McapSink } from "./mcap/McapSink";
import { toSceneUpdate } from "./mcap/sceneUpdate";
import { refuseOutputsOverInputs, type OutputPath } from "./safeOutputPath";
import type { SceneState } from "../types";

export const SCENE_TOPIC = "/avfusion/scene";
export const SCENE_UPDATE_TOPIC = "/avfusion/scene_boxes";

/** The scene sinks a command was asked for: `--out FILE.mcap` and `--jsonl PATH|-`. */
export type SceneOutputs = {
  write(scene: SceneState): Promise<void>;
  /** Finishes both as valid files (the MCAP summary, the last line), fsyncs and renames them into place. */
  close(): Promise<void>;
  /** After a failure: removes what is not yet in place, so no broken or partial file is left. */
  abort(): Promise<void>;
};

type FileOutput = OutputPath & { flushBytes: number };

function fileOutputs(flags: { out?: string | undefined; jsonl?: string | undefined }): { mcap?: FileOutput; jsonl?: FileOutput } {
  return {
    ...(flags.out !== undefined ? { mcap: { label: `--out ${flags.out}`, path: flags.out, flushBytes: 1 << 20 } } : {}),
    // JSON lines are written through (one line, one write), so the file holds whole lines at any moment.
    ...(flags.jsonl !== undefined && flags.jsonl !== "-"
      ? { jsonl: { label: `--jsonl ${flags.jsonl}`, path: flags.jsonl, flushBytes: 0 } }
      : {}),
  };
}

/** Creates every file output, or none: when one cannot be created, those already created are removed. */
async function createFiles(outputs: FileOutput[]): Promise<FileWritable[]> {
  const files: FileWritable[] = [];
  try {
    for (const o of outputs) files.push(await FileWritable.create(o.path, { label: o.label, flushBytes: o.flushBytes }));
  } catch (err) {
    await Promise.all(files.map((f) => f.abort()));
    throw err;
  }
  return files;
}

/**
 * Opens `--out` (the scene state + `foxglove.SceneUpdate` boxes as MCAP, so Foxglove draws them on
 * top of the inputs) and `--jsonl` (one scene per line; `-` goes through `stdout` so tests can
 * capture it). Shared by `replay` and `live`. Before anything is read: an output that is one of
 * `inputs` (the same path, a symlink or a hard link), a directory, or in a missing or unwritable
 * directory is refused (`BadInputError`), leaving nothing behind. Files are written to a temporary
 * file beside the target, every write checked, and renamed into place by `close()` (FileWritable).
 */
export async function openSceneOutputs(
  flags: { out?: string | undefined; jsonl?: string | undefined },
  stdout: (text: string) => void,
  library: string,
  inputs: readonly string[] = [],
): Promise<SceneOutputs> {
  const wanted = fileOutputs(flags);
  const paths = [wanted.mcap, wanted.jsonl].filter((o) => o !== undefined);
  await refuseOutputsOverInputs(paths, inputs);
  const files = await createFiles(paths);
  const mcapFile = wanted.mcap && files[0];
  const jsonFile = wanted.jsonl && files[files.length - 1];
  const abort = async (): Promise<void> => void (await Promise.all(files.map((f) => f.abort())));
  let mcap: McapSink | undefined;
  try {
    mcap = mcapFile && (await McapSink.open(mcapFile, { library }));
  } catch (err) {
    await abort();
    throw err;
  }
  const stdoutLines =
    flags.jsonl === "-"
      ? new JsonLinesSink(new Writable({ write: (chunk: Buffer | string, _enc, done) => (stdout(chunk.toString()), done()) }), {})
      : undefined;
  const encoder = new TextEncoder();
  return {
    async write(scene) {
      if (jsonFile) await jsonFile.write(encoder.encode(`${stringifyLine(toSceneJson(scene))}\n`));
      if (stdoutLines) await stdoutLines.write(toSceneJson(scene));
      if (mcap) await writeSceneToMcap(mcap, scene);
    },
    async close() {
      try {
        // The MCAP writer first (it writes the summary and footer), then its file.
        await mcap?.close();
        for (const f of files) await f.close();
        await stdoutLines?.flush();
      } catch (err) {
        await abort();
        throw err;
      }
    },
    abort,
  };
}

/** One scene into an MCAP sink: the scene state and its `foxglove.SceneUpdate` boxes, both at the scene's stamp. */
export async function writeSceneToMcap(mcap: McapSink, scene: SceneState): Promise<void> {
  await mcap.write(SCENE_TOPIC, "avfusion.SceneState", scene.stamp, scene.stamp, encodeProto("avfusion.SceneState", toSceneProto(scene)));
  await mcap.write(
    SCENE_UPDATE_TOPIC,
    "foxglove.SceneUpdate",
    scene.stamp,
    scene.stamp,
    encodeProto("foxglove.SceneUpdate", toSceneUpdate(scene)),
  );
}
