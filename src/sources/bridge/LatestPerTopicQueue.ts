import type { SensorMessage } from "../../types";
import type { Deferred } from "./clock";

/**
 * The `latest` buffer between a socket and a slower consumer: one arrival-ordered queue holding
 * at most `perTopic` messages per topic. When a topic's share is full its oldest queued message
 * is dropped, so a fast topic cannot crowd out the others. Drained on the scheduler; a drain
 * delivers only what is queued when it starts, what arrives meanwhile waits for the next one.
 */
export class LatestPerTopicQueue {
  readonly #queue: SensorMessage[] = [];
  readonly #queuedPerTopic = new Map<string, number>();
  #drainScheduled: Deferred | undefined;

  constructor(
    private readonly perTopic: number,
    private readonly defer: (fn: () => void) => Deferred,
    private readonly deliver: (m: SensorMessage) => void,
    private readonly onDropped: (m: SensorMessage) => void,
    private readonly isClosed: () => boolean,
  ) {}

  push(m: SensorMessage): void {
    const n = this.#queuedPerTopic.get(m.topic) ?? 0;
    if (n >= this.perTopic) {
      const oldest = this.#queue.findIndex((q) => q.topic === m.topic);
      this.#queue.splice(oldest, 1);
      this.onDropped(m);
    } else {
      this.#queuedPerTopic.set(m.topic, n + 1);
    }
    this.#queue.push(m);
    this.#drainScheduled ??= this.defer(this.#drain);
  }

  /** Cancels a scheduled drain (the source was unsubscribed). */
  cancel(): void {
    this.#drainScheduled?.unsubscribe();
  }

  readonly #drain = (): void => {
    this.#drainScheduled = undefined;
    const batch = this.#queue.splice(0, this.#queue.length);
    this.#queuedPerTopic.clear();
    for (const m of batch) {
      if (this.isClosed()) return;
      this.deliver(m);
    }
  };
}
