/**
 * The preload: runs sandboxed in Grove's window before the page and
 * exposes `window.groveShell` (see shell-api.ts) through contextBridge.
 * Nothing else crosses; the page never sees ipcRenderer or any Node object.
 */
import { contextBridge, ipcRenderer } from "electron";
import { createShellApi } from "./shell-bridge.js";

contextBridge.exposeInMainWorld("groveShell", createShellApi(ipcRenderer));
