import { createContext, useContext, useSyncExternalStore } from "react";
import type { GroveClient } from "../model/client.js";

export const ClientContext = createContext<GroveClient | null>(null);

/** The client, re-rendering the caller whenever anything in it changed. */
export function useClient(): GroveClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error("useClient outside <ClientContext>");
  useSyncExternalStore(
    (notify) => {
      client.on("change", notify);
      return () => client.off("change", notify);
    },
    // A frozen snapshot per change: React compares it by identity.
    () => client.snapshot,
  );
  return client;
}

/** The client without re-rendering on its changes: for memoized components that only call it. */
export function useClientActions(): GroveClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error("useClientActions outside <ClientContext>");
  return client;
}
