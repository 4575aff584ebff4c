import { createWriteStream } from "node:fs";
import { Writable } from "node:stream";
import { toSceneJson } from "./sceneJson";
import { toSceneProto } from "./sceneProto";
import { encodeProto } from "../schemas/protoRegistry";
import { JsonLinesSink } from "./jsonl/JsonLinesSink";
import { FileWritable } from "./mcap/FileWritable";
import { McapSink } from "./mcap/McapSink";
import { toSceneUpdate } from "./mcap/sceneUpdate";
import type { SceneState } from "../types";

export const SCENE_TOPIC = "/avfusion/scene";
export const SCENE_UPDATE_TOPIC = "/avfusion/scene_boxes";

/** The scene sinks a command was asked for: `--out FILE.mcap` and `--jsonl PATH|-`. */
export type SceneOutputs = {
  write(scene: SceneState): Promise<void>;
  /** Flushes and closes both (the MCAP summary is written here). */
  close(): Promise<void>;
};

/**
 * Opens `--out` (the scene state + `foxglove.SceneUpdate` boxes as MCAP, so Foxglove draws them on
 * top of the inputs) and `--jsonl` (one scene per line; `-` goes through `stdout` so tests can
 * capture it). Shared by `replay` and `live`.
 */
export async function openSceneOutputs(
  flags: { out?: string; jsonl?: string },
  stdout: (text: string) => void,
  library: string,
): Promise<SceneOutputs> {
  const mcapFile = flags.out === undefined ? undefined : await FileWritable.create(flags.out);
  const mcap = mcapFile === undefined ? undefined : await McapSink.open(mcapFile, { library });
  const jsonStream =
    flags.jsonl === undefined
      ? undefined
      : flags.jsonl === "-"
        ? new Writable({ write: (chunk: Buffer | string, _enc, done) => (stdout(chunk.toString()), done()) })
        : createWriteStream(flags.jsonl);
  const jsonl = jsonStream === undefined ? undefined : new JsonLinesSink(jsonStream, {});
  return {
    async write(scene) {
      if (jsonl) await jsonl.write(toSceneJson(scene));
      if (mcap) await writeSceneToMcap(mcap, scene);
    },
    async close() {
      // The MCAP writer first (it writes the summary), then its file.
      await mcap?.close();
      await mcapFile?.close();
      if (jsonStream) await new Promise<void>((resolve) => jsonStream.end(resolve));
    },
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
