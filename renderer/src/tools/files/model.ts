/**
 * The files of one space: chunks sealed under a key of their own at the
 * relay, a signed manifest in the space, fetched and checked chunk by chunk.
 */
import {
  addFile,
  draftFile,
  type FileView,
  fileRecord,
  files,
  MAX_FILE_BYTES,
  removeFile,
} from "../../../../core/space/tools/files.js";
import { UnsignedRecordError } from "../../../../core/space/tools/signed-records.js";
import {
  type BlobLink,
  downloadFile,
  type Progress,
  uploadFile,
} from "../../../../core/sync/file-transfer.js";
import { type ActivityItem, quote } from "../../model/activity.js";
import { randomId, type SpaceContext } from "../../model/space-context.js";
import type { ToolModel } from "../../model/tool-plugin.js";

/** A file refused before anything is sent: too large, or no relay to carry it. */
export class FileShareError extends Error {
  override readonly name = "FileShareError";
  constructor(
    readonly code: "TOO_LARGE" | "NO_RELAY",
    message: string,
  ) {
    super(message);
  }
}

export class FilesModel implements ToolModel {
  constructor(private readonly ctx: SpaceContext) {}

  files(): FileView[] {
    return this.ctx.cached("files", () => files(this.ctx.doc, this.ctx.trust));
  }

  /**
   * Shares a file: its chunks go to the relay sealed under a key of its own,
   * then the manifest goes into the space. Rejects with a clear message when
   * the file is too large or the relay cannot be reached (files travel only
   * through it, so members offline now get them later).
   */
  async shareFile(
    file: { name: string; type: string; bytes: Uint8Array },
    onProgress?: Progress,
  ): Promise<void> {
    if (file.bytes.length > MAX_FILE_BYTES) {
      throw new FileShareError(
        "TOO_LARGE",
        `${file.name} is larger than ${MAX_FILE_BYTES / 1024 / 1024} MB`,
      );
    }
    const manifest = await uploadFile(this.blobLink(), file.bytes, {
      ...(onProgress ? { onProgress } : {}),
    });
    const draft = draftFile({
      id: randomId(),
      name: file.name,
      type: file.type,
      ...this.ctx.authored(),
      ...manifest,
    });
    const signed = await this.ctx.sign("file", "", draft);
    await this.ctx.member.space.edit((doc) => addFile(doc, signed));
  }

  /**
   * A shared file's bytes, fetched from the relay and checked chunk by chunk.
   * Only the manifest the doc holds now is fetched, once its sharer's
   * signature is checked and it is the one listed (same sharer, same key):
   * a manifest swapped under someone's name fetches nothing.
   */
  async fetchFile(file: FileView, onProgress?: Progress): Promise<Uint8Array> {
    const held = fileRecord(this.ctx.doc, file.id);
    const verdict = held && (await this.ctx.verifier.check("file", "", held, held.by));
    if (!held || verdict !== "verified" || held.by !== file.by || held.key !== file.key) {
      throw new UnsignedRecordError(`${file.name} is not signed by ${file.byName}'s devices`);
    }
    return downloadFile(this.blobLink(), held, { ...(onProgress ? { onProgress } : {}) });
  }

  async removeFile(id: string): Promise<void> {
    const tombstone = await this.ctx.sign("file-removal", "", {
      id,
      removed: true as const,
      ...this.ctx.authored(),
    });
    await this.ctx.member.space.edit((doc) => {
      removeFile(doc, tombstone);
    });
  }

  private blobLink(): BlobLink {
    const relay = this.ctx.engine.relay;
    if (!relay) {
      throw new FileShareError(
        "NO_RELAY",
        "This device has no relay, and files travel through one",
      );
    }
    return relay;
  }

  activity(since: number): ActivityItem[] {
    return filesActivity(this.files(), this.ctx.me.user, since);
  }
}

export function filesActivity(list: FileView[], me: string, since: number): ActivityItem[] {
  return list
    .filter((f) => f.by !== me && f.at > since)
    .map((f) => ({
      key: `file:${f.id}`,
      tool: "Files",
      at: f.at,
      text: `${f.byName} shared ${quote(f.name)}`,
    }));
}
