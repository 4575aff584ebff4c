/** Foxglove WebSocket server sink and recording playback through it. */
export * from "./FoxgloveWsServer";
export * from "./ParameterStore";
