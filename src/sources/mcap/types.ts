import type { IReadable } from "@mcap/core";

/**
 * A random-access byte source with a name for error messages. The two methods are @mcap/core's
 * `IReadable`, so a file, an in-memory buffer or a test double all plug in.
 */
export interface RecordingReadable extends IReadable {
  /** Shown in error messages (a file path, or e.g. `memory:test`). */
  readonly name: string;
  /**
   * The record cap for every reader of this source (recordLimits.ts; a reader's own
   * `maxRecordBytes` option wins): set where the source is opened, e.g. from `--max-record-mib`.
   */
  readonly maxRecordBytes?: number;
  /** Release the underlying handle; optional for in-memory sources. */
  close?(): Promise<void>;
}
