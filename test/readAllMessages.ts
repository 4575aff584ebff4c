import { lastValueFrom, toArray } from "rxjs";
import { FileReadable } from "../src/sources/mcap/FileReadable";
import { readRecording } from "../src/sources/mcap/readRecording";
import type { SensorMessage } from "../src/types";

/**
 * Every message of an MCAP file through the project's reader: `streamed` in file order,
 * `indexed` in log-time order. For tests that need a recording's messages in memory.
 */
export async function readAllMessages(file: string, access: "streamed" | "indexed" = "streamed"): Promise<SensorMessage[]> {
  const source = await FileReadable.open(file);
  try {
    return await lastValueFrom(readRecording(source, { access }).pipe(toArray()));
  } finally {
    await source.close();
  }
}
