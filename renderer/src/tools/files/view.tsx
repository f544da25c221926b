import { type DragEvent, useRef, useState } from "react";
import { type FileView, MAX_FILE_BYTES } from "../../../../core/space/tools/files.js";
import { desktopShell } from "../../model/client.js";
import type { ToolViewProps } from "../../model/tool-plugin.js";
import { useConfirm } from "../../ui/Confirm.js";
import { byteSize, shortTime } from "../../ui/format.js";
import { useClient } from "../../ui/hooks.js";
import type { FilesModel } from "./model.js";

interface Transfer {
  key: string;
  text: string;
  done: number;
  total: number;
}

/**
 * Files shared in the space: sealed on this device, stored at the relay as
 * chunks only members can open, saved where the user says.
 */
export function FilesView({ handle, model }: ToolViewProps<FilesModel>) {
  const client = useClient();
  const { dialog: confirmDialog, ask } = useConfirm();
  const picker = useRef<HTMLInputElement>(null);
  const [transfers, setTransfers] = useState<Transfer[]>([]);
  const [dragging, setDragging] = useState(false);
  const list = model.files();

  /** Runs one transfer with its progress row; the row goes when it ends, either way. */
  const track = async (
    key: string,
    text: string,
    work: (p: (d: number, t: number) => void) => Promise<void>,
  ) => {
    const update = (done: number, total: number) =>
      setTransfers((all) => [...all.filter((t) => t.key !== key), { key, text, done, total }]);
    update(0, 1);
    try {
      await work(update);
    } finally {
      setTransfers((all) => all.filter((t) => t.key !== key));
    }
  };

  const upload = (name: string, type: string, bytes: Uint8Array) =>
    track(`up:${name}:${Date.now()}`, `Sending ${name}`, (progress) =>
      model.shareFile({ name, type, bytes }, progress),
    );

  /** Each file in turn; one that is too large or unreadable is reported, the rest still go. */
  const shareFiles = async (picked: FileList | File[]) => {
    for (const f of Array.from(picked)) {
      await client.attempt(`Sharing ${f.name}`, async () => {
        // Refused before it is read into memory.
        if (f.size > MAX_FILE_BYTES) {
          throw new Error(`it is larger than ${MAX_FILE_BYTES / 1024 / 1024} MB`);
        }
        await upload(f.name, f.type, new Uint8Array(await f.arrayBuffer()));
      });
    }
  };

  const pick = () => {
    const shell = desktopShell();
    if (!shell) return picker.current?.click();
    void client.attempt("Choosing a file", async () => {
      const chosen = await shell.openFile();
      if (chosen) {
        await client.attempt(`Sharing ${chosen.name}`, () => upload(chosen.name, "", chosen.bytes));
      }
    });
  };

  const save = (file: FileView) =>
    client.attempt(`Saving ${file.name}`, () =>
      track(`down:${file.id}:${Date.now()}`, `Receiving ${file.name}`, async (progress) => {
        const bytes = await model.fetchFile(file, progress);
        const shell = desktopShell();
        if (shell) {
          await shell.saveFile(file.name, bytes);
          return;
        }
        // Saved as bytes, whatever type the sender claimed: nothing of it is opened here.
        const url = URL.createObjectURL(
          new Blob([bytes as BlobPart], { type: "application/octet-stream" }),
        );
        const link = document.createElement("a");
        link.href = url;
        link.download = file.name;
        link.click();
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
      }),
    );

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    if (handle.canWrite && e.dataTransfer.files.length > 0) void shareFiles(e.dataTransfer.files);
  };

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: dropping is a shortcut; "Share a file" is the keyboard path
    <div
      className={dragging ? "files dragging" : "files"}
      onDragOver={(e) => {
        if (!handle.canWrite) return;
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
    >
      {confirmDialog}
      {handle.canWrite && (
        <div className="row end">
          <span className="muted small grow">
            Drop files here, or share one. They are sealed on this device; the relay keeps only
            chunks it cannot read.
          </span>
          <button type="button" className="primary" onClick={pick}>
            Share a file
          </button>
          <input
            ref={picker}
            type="file"
            multiple
            hidden
            aria-label="File to share"
            onChange={(e) => {
              const picked = e.target.files;
              if (picked) void shareFiles(Array.from(picked)).finally(() => (e.target.value = ""));
            }}
          />
        </div>
      )}
      {transfers.length > 0 && (
        <ul className="transfers" aria-label="Transfers">
          {transfers.map((t) => (
            <li key={t.key}>
              <span>
                {t.text} · {byteSize(t.done)} of {byteSize(t.total)}
              </span>
              <progress max={t.total} value={t.done} aria-label={t.text} />
            </li>
          ))}
        </ul>
      )}
      <h2 className="sr-only">Shared files</h2>
      <ul className="topics" aria-label="Shared files">
        {list.map((f) => (
          <li key={f.id} className="file-row">
            <div className="grow">
              <span className="topic-title" dir="auto">
                {f.name}
              </span>
              <span className="muted small">
                {byteSize(f.size)} · shared by {f.byName} · {shortTime(f.at)}
              </span>
            </div>
            <button type="button" onClick={() => void save(f)}>
              Save <span className="sr-only">{f.name}</span>
            </button>
            {handle.canWrite && (handle.canManage || f.by === client.myUser) && (
              <button
                type="button"
                onClick={() =>
                  ask({
                    title: "Remove this file?",
                    body: `${f.name} leaves this space's files for everyone. Copies people already saved stay theirs.`,
                    action: "Remove file",
                    run: () =>
                      void client.attempt("Removing the file", () => model.removeFile(f.id)),
                  })
                }
              >
                Remove <span className="sr-only">{f.name}</span>
              </button>
            )}
          </li>
        ))}
        {list.length === 0 && <li className="muted pad">No files shared yet.</li>}
      </ul>
    </div>
  );
}
