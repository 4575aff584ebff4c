import type { Nanos } from "../../types";
import type { Deferred } from "./clock";

type Queued<L> = { listener: L; data: Uint8Array; at: Nanos };

/**
 * The datagrams held between the UDP sockets and their consumer, all sensors together. Bounded:
 * when full the oldest datagram is dropped and counted on its sensor, so memory stays bounded
 * while the consumer is slow. Drained on the scheduler, in arrival order, only what was queued
 * when the drain began (what arrives meanwhile waits for the next one).
 */
export class DatagramQueue<L extends { stats: { droppedQueue: number } }> {
  // Taken entries are cleared in place and spliced off once per drain, not shifted one by one.
  readonly #queue: Queued<L>[] = [];
  #head = 0;
  #draining: Deferred | undefined;

  constructor(
    private readonly maxQueued: number,
    private readonly defer: (fn: () => void) => Deferred,
    /** Where the largest backlog seen is recorded. */
    private readonly stats: { maxQueued: number },
    private readonly handle: (listener: L, data: Uint8Array, at: Nanos) => void,
    private readonly isClosed: () => boolean,
  ) {}

  push(listener: L, data: Uint8Array, at: Nanos): void {
    const queue = this.#queue;
    if (queue.length - this.#head >= this.maxQueued) {
      const dropped = queue[this.#head]!;
      queue[this.#head++] = undefined as unknown as Queued<L>;
      dropped.listener.stats.droppedQueue++;
    }
    queue.push({ listener, data, at });
    this.stats.maxQueued = Math.max(this.stats.maxQueued, queue.length - this.#head);
    this.#draining ??= this.defer(this.#drain);
  }

  /** Cancels a scheduled drain (the source was unsubscribed). */
  cancel(): void {
    this.#draining?.unsubscribe();
  }

  readonly #drain = (): void => {
    this.#draining = undefined;
    const queue = this.#queue;
    const end = queue.length;
    while (this.#head < end && !this.isClosed()) {
      const { listener, data, at } = queue[this.#head]!;
      queue[this.#head++] = undefined as unknown as Queued<L>;
      this.handle(listener, data, at);
    }
    queue.splice(0, this.#head);
    this.#head = 0;
    if (queue.length > 0 && !this.isClosed()) this.#draining = this.defer(this.#drain);
  };
}
