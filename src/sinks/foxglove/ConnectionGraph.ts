import type { ConnectionGraphUpdate } from "@foxglove/ws-protocol";

/** Where a graph update goes: a client's socket (FoxgloveServer's clients are ours: GuardedSocket). */
export type GraphClient = { send(data: string): void };

type Update = Omit<ConnectionGraphUpdate, "op">;

const EMPTY: Update = { publishedTopics: [], subscribedTopics: [], advertisedServices: [], removedTopics: [], removedServices: [] };

/**
 * The `connectionGraph` capability, which @foxglove/ws-protocol's FoxgloveServer (0.8) declares in
 * its types but does not serve: clients that send `subscribeConnectionGraph` get the whole graph,
 * then each change. The graph is the server as one node (its name) publishing every advertised
 * topic, as foxglove_bridge shows a ROS node's publications; it subscribes to nothing and
 * provides no services, so those lists stay empty.
 */
export class ConnectionGraph {
  readonly #subscribers = new Set<GraphClient>();
  readonly #topics = new Set<string>();

  constructor(private readonly node: string) {}

  /**
   * Looks at a client's text frame; true when it was a connection-graph request (handled here).
   * Cheap for everything else: only frames naming the op are parsed.
   */
  handleText(client: GraphClient, text: string): boolean {
    if (!text.includes("ConnectionGraph")) return false;
    let op: unknown;
    try {
      op = (JSON.parse(text) as { op?: unknown }).op;
    } catch {
      return false;
    }
    if (op === "subscribeConnectionGraph") {
      this.#subscribers.add(client);
      this.#send(client, { ...EMPTY, publishedTopics: this.#published([...this.#topics]) });
      return true;
    }
    if (op === "unsubscribeConnectionGraph") {
      this.#subscribers.delete(client);
      return true;
    }
    return false;
  }

  /** A client went away. */
  forget(client: GraphClient): void {
    this.#subscribers.delete(client);
  }

  get subscribers(): number {
    return this.#subscribers.size;
  }

  topicAdded(topic: string): void {
    if (this.#topics.has(topic)) return;
    this.#topics.add(topic);
    this.#broadcast({ ...EMPTY, publishedTopics: this.#published([topic]) });
  }

  topicRemoved(topic: string): void {
    if (!this.#topics.delete(topic)) return;
    this.#broadcast({ ...EMPTY, removedTopics: [topic] });
  }

  #published(topics: string[]): Update["publishedTopics"] {
    return topics.map((name) => ({ name, publisherIds: [this.node] }));
  }

  #broadcast(update: Update): void {
    for (const c of this.#subscribers) this.#send(c, update);
  }

  #send(client: GraphClient, update: Update): void {
    client.send(JSON.stringify({ op: "connectionGraphUpdate", ...update }));
  }
}
