import { StatusLevel, type FoxgloveServer } from "@foxglove/ws-protocol";
import type { ParameterStore } from "./ParameterStore";

/** What a server offers besides channels, as `serverInfo.capabilities` lists it. */
export type CapabilityOptions = {
  /** `time`: the server broadcasts its clock (playback or pipeline time); clients follow it. */
  time?: boolean;
  /** `parameters` + `parametersSubscribe`: these are read (and, where settable, set) by clients. */
  parameters?: ParameterStore;
};

/**
 * The capabilities, as foxglove_bridge names them. `connectionGraph` is always served; services
 * and client publishing are not offered (nothing of the pipeline is driven by a viewer's messages;
 * what a viewer may change is a parameter).
 */
export function capabilityList(options: CapabilityOptions): string[] {
  return [
    ...(options.time === true ? ["time"] : []),
    ...(options.parameters ? ["parameters", "parametersSubscribe"] : []),
    "connectionGraph",
  ];
}

/**
 * Answers `getParameters` from the store and `setParameters` as foxglove_bridge does: the settable,
 * valid values are applied; with a request id the client gets the values now in force back (a
 * refused one unchanged); each refusal is a warning status to that client, one line saying why.
 * Every change reaches the clients subscribed to that parameter.
 */
export function serveParameters(server: FoxgloveServer, store: ParameterStore): () => void {
  server.on("getParameters", ({ parameterNames, id }, connection) => {
    server.publishParameterValues(store.get(parameterNames), id, connection);
  });
  server.on("setParameters", ({ parameters, id }, connection) => {
    const { refused } = store.setFromClient(parameters);
    if (connection) for (const message of refused) server.sendStatus({ level: StatusLevel.WARNING, message }, connection);
    if (id !== undefined) {
      const names = parameters.map((p) => p.name).filter((n) => store.has(n));
      server.publishParameterValues(names.length > 0 ? store.get(names) : [], id, connection);
    }
  });
  return store.onChange((changed) => server.updateParameterValues(changed));
}
