import type { Nanos } from "../types";

/** One recorded message, before it goes to a sink. */
export type SimMessage = {
  topic: string;
  typeName: string;
  logTime: Nanos;
  publishTime: Nanos;
  data: Uint8Array;
};

/** A min-heap by (logTime, seq) so that messages leave in log-time order (ties in push order). */
export class MessageQueue {
  private items: Array<{ m: SimMessage; seq: number }> = [];
  private seq = 0;

  push(m: SimMessage): void {
    const it = { m, seq: this.seq++ };
    const a = this.items;
    a.push(it);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  peek(): SimMessage | undefined {
    return this.items[0]?.m;
  }

  pop(): SimMessage | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top.m;
  }

  private less(x: { m: SimMessage; seq: number }, y: { m: SimMessage; seq: number }): boolean {
    return x.m.logTime < y.m.logTime || (x.m.logTime === y.m.logTime && x.seq < y.seq);
  }
}
