/** Live sources: Foxglove WebSocket client, UDP sensor drivers, and UDP playback of recordings. */
export * from "./foxgloveWebSocketSource";
export { schemaBytes } from "./foxgloveChannels";
export * from "./udpSource";
export { wallClockNs } from "./clock";
