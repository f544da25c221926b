/**
 * Deliberate faults for the tests that prove a failing handler costs one
 * connection and an escaped exception costs nothing. On only when the relay
 * process runs with GROVE_RELAY_INJECT_FAULTS=1 (never a flag, never by
 * default); a marker in a frame or message then picks the fault.
 */
export class InjectedFault extends Error {
  override readonly name = "InjectedFault";
  readonly code = "INJECTED_FAULT";
}

export type Fault = "throw" | "reject" | "escape";

const MARKERS: Record<string, Fault> = {
  "grove-test:throw": "throw",
  "grove-test:reject": "reject",
  "grove-test:escape": "escape",
};

/**
 * Acts out the fault `marker` names, if any: throws, returns a rejected
 * promise for the caller to track, or throws later outside every handler.
 */
export function injectFault(enabled: boolean, marker: string): Promise<never> | undefined {
  const fault = enabled ? MARKERS[marker] : undefined;
  if (fault === "throw") throw new InjectedFault(`injected fault at ${marker}`);
  if (fault === "reject")
    return Promise.reject(new InjectedFault(`injected rejection at ${marker}`));
  if (fault === "escape") {
    setImmediate(() => {
      throw new InjectedFault("injected escape");
    });
  }
  return undefined;
}
