import { Writable } from "node:stream";
import { toSceneJson } from "./sceneJson";
import { toSceneProto } from "./sceneProto";
import { encodeProto } from "../schemas/protoRegistry";
import { JsonLinesSink, stringifyLine } from "./jsonl/JsonLinesSink";
import { FileWritable } from "./mcap/FileWritable";
import { McapSink } from "./mcap/McapSink";
import { toSceneUpdate } from "./mcap/sceneUpdate";
import { Ros2McapSink } from "./ros2/Ros2McapSink";
import { createRos2SceneWriter } from "./ros2/writeSceneRos2";
import { refuseOutputsOverInputs, type OutputPath } from "./safeOutputPath";
import type { SceneContext } from "./sceneContext";
import { annotationTopic, imageBoxes, toImageAnnotations } from "./transforms/imageAnnotations";
import { createMountingTracker, egoTransform, toFrameTransforms } from "./transforms/transformTree";
import type { SceneState } from "../types";

export const SCENE_TOPIC = "/avfusion/scene";
export const SCENE_UPDATE_TOPIC = "/avfusion/scene_boxes";
/** The transform tree (foxglove.FrameTransforms): `odom → <scene frame>` per tick, the sensor mountings when they change. */
export const TF_TOPIC = "/tf";

/** `--out`, `--ros2-out` and `--jsonl`, as the commands' flags name them. */
export type SceneOutputFlags = { out?: string | undefined; ros2Out?: string | undefined; jsonl?: string | undefined };

/** The scene sinks a command was asked for: `--out FILE.mcap` and `--jsonl PATH|-`. */
export type SceneOutputs = {
  /**
   * One scene into every output. `context` (the recording's mountings and calibrations, the
   * tick's camera images) adds the sensor mountings to the transform tree and the camera
   * annotations; without it only `odom → <scene frame>` is written besides the scene.
   */
  write(scene: SceneState, context?: SceneContext): Promise<void>;
  /** Finishes both as valid files (the MCAP summary, the last line), fsyncs and renames them into place. */
  close(): Promise<void>;
  /** After a failure: removes what is not yet in place, so no broken or partial file is left. */
  abort(): Promise<void>;
};

type FileOutput = OutputPath & { flushBytes: number };

function fileOutputs(flags: SceneOutputFlags): { mcap?: FileOutput; ros2?: FileOutput; jsonl?: FileOutput } {
  return {
    ...(flags.out !== undefined ? { mcap: { label: `--out ${flags.out}`, path: flags.out, flushBytes: 1 << 20 } } : {}),
    ...(flags.ros2Out !== undefined ? { ros2: { label: `--ros2-out ${flags.ros2Out}`, path: flags.ros2Out, flushBytes: 1 << 20 } } : {}),
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
 * Opens `--out` (the scene state, `foxglove.SceneUpdate` boxes, the `/tf` tree and camera
 * annotations as MCAP, so Foxglove draws them on top of the inputs), `--ros2-out` (the scene as
 * ROS 2 CDR messages: MarkerArray, Detection3DArray, tf2 TFMessage) and `--jsonl` (one scene per line; `-` goes through `stdout` so tests can
 * capture it). Shared by `replay` and `live`. Before anything is read: an output that is one of
 * `inputs` (the same path, a symlink or a hard link), a directory, or in a missing or unwritable
 * directory is refused (`BadInputError`), leaving nothing behind. Files are written to a temporary
 * file beside the target, every write checked, and renamed into place by `close()` (FileWritable).
 */
export async function openSceneOutputs(
  flags: SceneOutputFlags,
  stdout: (text: string) => void,
  library: string,
  inputs: readonly string[] = [],
): Promise<SceneOutputs> {
  const wanted = fileOutputs(flags);
  const paths = [wanted.mcap, wanted.ros2, wanted.jsonl].filter((o) => o !== undefined);
  await refuseOutputsOverInputs(paths, inputs);
  const files = await createFiles(paths);
  const fileOf = (o: FileOutput | undefined) => (o === undefined ? undefined : files[paths.indexOf(o)]);
  const mcapFile = fileOf(wanted.mcap);
  const ros2File = fileOf(wanted.ros2);
  const jsonFile = fileOf(wanted.jsonl);
  const abort = async (): Promise<void> => void (await Promise.all(files.map((f) => f.abort())));
  let mcap: McapSink | undefined;
  let ros2: Ros2McapSink | undefined;
  try {
    mcap = mcapFile && (await McapSink.open(mcapFile, { library }));
    ros2 = ros2File && (await Ros2McapSink.open(ros2File, { library }));
  } catch (err) {
    await abort();
    throw err;
  }
  const stdoutLines =
    flags.jsonl === "-"
      ? new JsonLinesSink(new Writable({ write: (chunk: Buffer | string, _enc, done) => (stdout(chunk.toString()), done()) }), {})
      : undefined;
  const encoder = new TextEncoder();
  const writeMcap = mcap && createSceneMcapWriter(mcap);
  const writeRos2 = ros2 && createRos2SceneWriter(ros2);
  return {
    async write(scene, context) {
      if (jsonFile) await jsonFile.write(encoder.encode(`${stringifyLine(toSceneJson(scene))}\n`));
      if (stdoutLines) await stdoutLines.write(toSceneJson(scene));
      if (writeMcap) await writeMcap(scene, context);
      if (writeRos2) await writeRos2(scene, context);
    },
    async close() {
      try {
        // The MCAP writers first (they write the summary and footer), then their files.
        await mcap?.close();
        await ros2?.close();
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
  await writeAtScene(mcap, scene, SCENE_TOPIC, "avfusion.SceneState", toSceneProto(scene));
  await writeAtScene(mcap, scene, SCENE_UPDATE_TOPIC, "foxglove.SceneUpdate", toSceneUpdate(scene));
}

/** One protobuf message at the scene's stamp (log and publish time). */
function writeAtScene(mcap: McapSink, scene: SceneState, topic: string, typeName: string, message: object): Promise<void> {
  return mcap.write(topic, typeName, scene.stamp, scene.stamp, encodeProto(typeName, message));
}

/**
 * The whole `--out` stream of one run, per tick: `/tf` first (`odom → <scene frame>` at the
 * tick, and the sensor mountings with the first tick and whenever they change, so the tree is
 * there before anything drawn in it), the scene state and boxes, then for each camera image the
 * tick used `<image topic>/annotations` (foxglove.ImageAnnotations, the boxes projected through
 * the camera's calibration and mounting) when that camera's calibration and mounting are known.
 */
export function createSceneMcapWriter(mcap: McapSink) {
  const mountings = createMountingTracker();
  return async (scene: SceneState, context?: SceneContext): Promise<void> => {
    const tree = [...mountings.changed(context, scene.stamp), egoTransform(scene)];
    await writeAtScene(mcap, scene, TF_TOPIC, "foxglove.FrameTransforms", toFrameTransforms(tree));
    await writeSceneToMcap(mcap, scene);
    for (const image of context?.images ?? []) {
      const boxes = imageBoxes(scene, image, context!);
      if (boxes === undefined) continue;
      const annotations = toImageAnnotations(boxes, image, scene);
      await mcap.write(
        annotationTopic(image.topic),
        "foxglove.ImageAnnotations",
        scene.stamp,
        image.stamp,
        encodeProto("foxglove.ImageAnnotations", annotations),
      );
    }
  };
}
