/** The memory store benches use, kept in core so the Store suite tests it (test/store-contract.ts). */
export { MemoryStore } from "../core/store/memory-store.js";
