import type { IReadable } from "@mcap/core";

/**
 * A random-access byte source with a name for error messages. The two methods are @mcap/core's
 * `IReadable`, so a file, an in-memory buffer or a test double all plug in.
 */
export interface RecordingReadable extends IReadable {
  /** Shown in error messages (a file path, or e.g. `memory:test`). */
  readonly name: string;
  /** Release the underlying handle; optional for in-memory sources. */
  close?(): Promise<void>;
}
