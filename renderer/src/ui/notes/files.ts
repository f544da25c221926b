/** Saving an exported note and reading an imported one, on the desktop or in a browser. */
import { safeFileName } from "../../../../core/space/tools/files.js";
import { desktopShell } from "../../model/client.js";

/** The largest Markdown file taken as a note. */
export const MAX_IMPORT_BYTES = 1024 * 1024;

export async function saveMarkdown(title: string, markdown: string): Promise<void> {
  const name = `${safeFileName(title || "Untitled")}.md`;
  const bytes = new TextEncoder().encode(markdown);
  const shell = desktopShell();
  if (shell) {
    await shell.saveFile(name, bytes);
    return;
  }
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: "text/markdown" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** A picked file's text and the title it suggests (its name without ".md"). */
export async function readMarkdown(file: File): Promise<{ title: string; text: string }> {
  if (file.size > MAX_IMPORT_BYTES) {
    throw new Error(`${file.name} is larger than ${MAX_IMPORT_BYTES / 1024} KB`);
  }
  return { title: file.name.replace(/\.(md|markdown|txt)$/i, ""), text: await file.text() };
}
