import type { IWebSocket } from "@foxglove/ws-protocol";
import type { WebSocket } from "ws";

const MESSAGE_DATA_OPCODE = 1;

/** Close code and grace for a client cut off for lag: 1008 = policy violation (the queue limit). */
export const SLOW_CLIENT_CLOSE_CODE = 1008;
const CUT_GRACE_MS = 1000;

export type GuardHooks = {
  /** Message data not sent: the client had more than the limit queued. */
  onDrop: () => void;
  onSent: () => void;
  /** The client was cut off (once): it no longer counts as connected. */
  onCut: () => void;
};

/**
 * Passes a client's socket to FoxgloveServer, dropping message data (never control messages)
 * while the socket has more than `limit` bytes queued, so one slow client cannot grow the
 * server's memory without bound; the client then gets the latest messages once it catches up.
 * FoxgloveServer sends a message as header + payload frames (`fin: false` then `fin: true`); the
 * decision is made once per message. Never waits: the fan-out path is synchronous.
 *
 * It also keeps the client's lag: since when it is over the limit (`overLimitFor`, which cuts
 * it off after a bound) and since when it holds back a lossless producer (`holdsPacing`).
 */
export class GuardedSocket implements IWebSocket {
  #dropping = false;
  #inMessage = false;
  #overSince: number | undefined;
  #aboveHighSince: number | undefined;
  #cut = false;
  constructor(
    readonly ws: WebSocket,
    private readonly limit: number,
    private readonly hooks: GuardHooks,
  ) {
    // Replies to a client's requests (status messages for a bad subscribe, ...) are control
    // messages, never dropped: a client that keeps sending while not reading would grow its queue
    // by several times what it sends until the lag sweep. Past twice the limit it is cut at once.
    // (Ping floods are bounded by ws itself: at most 60 automatic pongs pending.)
    ws.on("message", () => {
      if (ws.bufferedAmount > 2 * limit) this.cut(`sending while over ${(limit / 524288).toFixed(1)} MiB queued unread`);
    });
  }
  get binaryType(): string {
    return this.ws.binaryType;
  }
  set binaryType(value: string) {
    this.ws.binaryType = value as WebSocket["binaryType"];
  }
  get protocol(): string {
    return this.ws.protocol;
  }
  get onerror(): WebSocket["onerror"] {
    return this.ws.onerror;
  }
  set onerror(h: WebSocket["onerror"]) {
    this.ws.onerror = h;
  }
  get onopen(): WebSocket["onopen"] {
    return this.ws.onopen;
  }
  set onopen(h: WebSocket["onopen"]) {
    this.ws.onopen = h;
  }
  get onclose(): WebSocket["onclose"] {
    return this.ws.onclose;
  }
  set onclose(h: WebSocket["onclose"]) {
    this.ws.onclose = h;
  }
  get onmessage(): WebSocket["onmessage"] {
    return this.ws.onmessage;
  }
  set onmessage(h: WebSocket["onmessage"]) {
    this.ws.onmessage = h;
  }
  close(): void {
    this.ws.close();
  }
  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }
  send(data: string | ArrayBuffer | ArrayBufferView, options?: { fin?: boolean }): void {
    if (!this.open) return;
    const fin = options?.fin ?? true;
    if (!this.#inMessage && typeof data !== "string") {
      const first = data instanceof ArrayBuffer ? new Uint8Array(data, 0, 1)[0] : new Uint8Array(data.buffer, data.byteOffset, 1)[0];
      this.#dropping = first === MESSAGE_DATA_OPCODE && this.ws.bufferedAmount > this.limit;
      if (this.#dropping) {
        this.#overSince ??= performance.now();
        this.hooks.onDrop();
      } else if (first === MESSAGE_DATA_OPCODE) {
        // Caught up between two sweeps: its lag starts again from zero.
        this.#overSince = undefined;
        this.hooks.onSent();
      }
    }
    this.#inMessage = !fin;
    if (this.#dropping) {
      if (fin) this.#dropping = false;
      return;
    }
    this.ws.send(data, { fin, binary: typeof data !== "string" });
  }

  /** How long (ms) the client has been over the limit without catching up; 0 when it is not. */
  overLimitFor(now: number): number {
    if (!this.open || this.ws.bufferedAmount <= this.limit) {
      this.#overSince = undefined;
      return 0;
    }
    this.#overSince ??= now;
    return now - this.#overSince;
  }

  /**
   * True while a lossless producer should wait for this client: it has more than `highWater`
   * queued and has had for less than `maxWaitMs`. Past that it is left to the limit (dropped
   * messages, then cut off), so one stuck client holds the others back by `maxWaitMs` at most.
   */
  holdsPacing(now: number, highWater: number, maxWaitMs: number): boolean {
    if (!this.open || this.ws.bufferedAmount <= highWater) {
      this.#aboveHighSince = undefined;
      return false;
    }
    this.#aboveHighSince ??= now;
    return now - this.#aboveHighSince < maxWaitMs;
  }

  /**
   * Cuts the client off: a close frame with the reason (it reaches a client that still reads),
   * then the socket is destroyed after a grace, freeing what was queued. True the first time.
   */
  cut(reason: string): boolean {
    if (this.#cut) return false;
    this.#cut = true;
    this.ws.close(SLOW_CLIENT_CLOSE_CODE, reason.slice(0, 120));
    setTimeout(() => this.ws.terminate(), CUT_GRACE_MS).unref();
    this.hooks.onCut();
    return true;
  }
}
