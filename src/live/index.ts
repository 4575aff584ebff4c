/** Live pipeline glue: live inputs (Foxglove WebSocket, UDP) → the whole scene pipeline → outputs. */
export * from "./frameMessages";
export * from "./liveInputs";
export * from "./liveSession";
export * from "./liveOutputs";
