import type { Writable } from "stream";
import { toSceneJson } from "../sceneJson";
import type { SceneState } from "../../types";
import { writeJsonLines, type WriteJsonLinesOperator, type WriteJsonLinesOptions } from "./writeJsonLines";

export { JsonLinesSink, stringifyLine, type JsonLinesSinkOptions, type JsonLinesStats } from "./JsonLinesSink";
export { writeJsonLines, type WriteJsonLinesOperator, type WriteJsonLinesOptions } from "./writeJsonLines";

/** `writeJsonLines` with the scene's JSON-lines shape (`toSceneJson`). */
export function writeSceneJsonLines(
  writable: Writable,
  options: Omit<WriteJsonLinesOptions<SceneState>, "serialize"> = {},
): WriteJsonLinesOperator<SceneState> {
  return writeJsonLines<SceneState>(writable, { ...options, serialize: toSceneJson });
}
