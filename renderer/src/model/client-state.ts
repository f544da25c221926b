/**
 * The client's phases as one discriminated union, each carrying what it
 * owns: nothing before the storage key is known, the open store once
 * unlocked, and the profile, engine and account space once ready. Code that
 * needs the engine asks for the "ready" phase and gets all of it, or a typed
 * error: there is no half-started client to guard against with `!`.
 */
import type { Ed25519Backend } from "../../../core/crypto/ed25519.js";
import type { AccountSpace } from "../../../core/membership/account.js";
import type { EncryptedStore } from "../../../core/store/encrypted-store.js";
import type { AppSyncEngine } from "../../../core/sync/links.js";
import type { Drafts } from "./drafts.js";
import type { Profile } from "./profile.js";

/** The store is open (the storage key was right); no identity may exist yet. */
export interface Vault {
  readonly backend: Ed25519Backend;
  readonly store: EncryptedStore;
  /** Unsent text per space and tool, in the encrypted store. */
  readonly drafts: Drafts;
}

/** Everything a running client holds. */
export interface Session extends Vault {
  readonly profile: Profile;
  readonly engine: AppSyncEngine;
  readonly account: AccountSpace;
}

export type ClientState =
  | { readonly phase: "loading" }
  /** Desktop app without an OS keychain: a passphrase protects the profile. */
  | { readonly phase: "choose-passphrase"; readonly backend: Ed25519Backend }
  | { readonly phase: "locked"; readonly backend: Ed25519Backend }
  | { readonly phase: "onboarding"; readonly vault: Vault }
  | { readonly phase: "ready"; readonly session: Session }
  /** Another tab or window of this profile runs the engine (one engine per profile). */
  | { readonly phase: "elsewhere" }
  | { readonly phase: "failed"; readonly failure: string };

export type Phase = ClientState["phase"];

export class ClientStateError extends Error {
  override readonly name = "ClientStateError";
  constructor(
    readonly code: "NOT_READY" | "NOT_UNLOCKED" | "NOT_OPENED" | "NO_USER_KEY" | "NO_SUCH_SPACE",
    message: string,
  ) {
    super(message);
  }
}
