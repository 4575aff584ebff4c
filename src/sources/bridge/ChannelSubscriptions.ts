import type { Channel, FoxgloveClient } from "@foxglove/ws-protocol";
import { channelInfo, type ChannelInfo } from "./foxgloveChannels";

export type Subscribed = {
  channelId: number;
  topic: string;
  info: ChannelInfo;
  /** Sequence number of the next message (the protocol carries none). */
  sequence: number;
};

/**
 * One connection's channels: those the server advertised (by channel id) and those we subscribed
 * to (by subscription id). Both die with the connection; the next one starts empty and the
 * server advertises again.
 */
export class ChannelSubscriptions {
  readonly #channels = new Map<number, Channel>();
  readonly #subscriptions = new Map<number, Subscribed>();
  readonly #subByChannel = new Map<number, number>();

  /** The advertised channels (a live view: unadvertising while iterating is safe). */
  channels(): IterableIterator<Channel> {
    return this.#channels.values();
  }

  subscription(subscriptionId: number): Subscribed | undefined {
    return this.#subscriptions.get(subscriptionId);
  }

  /**
   * Records an advertisement and subscribes when `wants` it. A re-advertised channel we are
   * subscribed to (same id, maybe a new schema) keeps its subscription and takes the new schema.
   */
  advertise(
    client: FoxgloveClient,
    ch: Channel,
    wants: (ch: Channel) => boolean,
  ): { change: "advertised" | "readvertised"; subscribed: boolean } {
    const known = this.#channels.get(ch.id);
    this.#channels.set(ch.id, ch);
    const subId = this.#subByChannel.get(ch.id);
    if (known && subId !== undefined) {
      const sub = this.#subscriptions.get(subId)!;
      sub.info = channelInfo(ch);
      sub.topic = ch.topic;
      return { change: "readvertised", subscribed: true };
    }
    const subscribed = this.#subscribe(client, ch, wants);
    return { change: known ? "readvertised" : "advertised", subscribed };
  }

  /** Forgets a channel the server dropped; its subscription is gone with it. */
  unadvertise(id: number): { channel: Channel | undefined; subscribed: boolean } {
    const channel = this.#channels.get(id);
    this.#channels.delete(id);
    const subId = this.#subByChannel.get(id);
    this.#subByChannel.delete(id);
    if (subId !== undefined) this.#subscriptions.delete(subId);
    return { channel, subscribed: subId !== undefined };
  }

  #subscribe(client: FoxgloveClient, ch: Channel, wants: (ch: Channel) => boolean): boolean {
    if (!wants(ch)) return false;
    const subId = client.subscribe(ch.id);
    this.#subscriptions.set(subId, { channelId: ch.id, topic: ch.topic, info: channelInfo(ch), sequence: 0 });
    this.#subByChannel.set(ch.id, subId);
    return true;
  }
}
